import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { type MessageCodec, ServiceError, serviceErrorCodec } from '@pdserve/protocol';
import { ERROR_HEADER, fromNatsHeaders, toNatsHeaders } from './message-headers.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { requestError } from './request-error.js';
import { consoleLogger, type RuntimeLogger } from './runtime-logger.js';

export interface NatsClientOptions {
  /** Server URLs, e.g. 'nats://127.0.0.1:4222'. */
  servers: string | string[];
  /** The connection's name as the server shows it (service and instance). */
  name: string;
  /** Reconnect backoff bounds (default 100 ms .. 2 s); it reconnects forever. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Client pings to detect a dead server on a half-open connection (default every 10 s, 3 missed). */
  pingIntervalMs?: number;
  maxPingOut?: number;
  /** Default request timeout (default 5 s). */
  requestTimeoutMs?: number;
  /** Give up connecting at start after this long (default: keep trying forever). */
  connectTimeoutMs?: number;
  logger?: RuntimeLogger;
}

/** Where a message came from, passed to handlers beside the decoded message. */
export interface MessageMeta {
  subject: string;
  headers: Record<string, string>;
  reply?: string;
}

export interface PublishOptions {
  /** NATS headers, e.g. trace context (`traceparent`). */
  headers?: Record<string, string>;
}

export interface RequestOptions extends PublishOptions {
  timeoutMs?: number;
}

export interface SubscribeOptions {
  /** Queue group: each message goes to one subscriber of the group. */
  queue?: string;
}

/** A live subscription made by NatsClient; drain() lets in-flight messages finish first. */
export interface TypedSubscription {
  unsubscribe(): void;
  drain(): Promise<void>;
  readonly subject: string;
}

type NatsClientEvents = { disconnect: [server: string]; reconnect: [server: string] };

/**
 * One service's NATS connection (over the official client), created at start by each service's
 * main and shared by all its parts. Messages are typed by protocol codecs; requests that fail
 * reject with ServiceError ('timeout', 'unavailable', or what the responder threw). It reconnects
 * forever with backoff (subscriptions are restored; requests in flight fail) and emits
 * 'disconnect' / 'reconnect'. close() drains: handlers in flight finish, buffered output is sent.
 */
export class NatsClient extends EventEmitter<NatsClientEvents> {
  /** The underlying connection, for JetStream and anything the typed helpers do not cover. */
  readonly nc: NatsConnection;
  readonly name: string;
  readonly logger: RuntimeLogger;
  readonly #requestTimeoutMs: number;
  #connected = true;

  private constructor(nc: NatsConnection, options: NatsClientOptions) {
    super();
    this.nc = nc;
    this.name = options.name;
    this.logger = options.logger ?? consoleLogger;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    void this.#watchStatus();
  }

  /**
   * Connects, retrying with backoff until connectTimeoutMs (forever if unset); rejects with
   * ServiceError 'unavailable' when it gives up. Once connected it reconnects forever.
   */
  static async connect(options: NatsClientOptions): Promise<NatsClient> {
    const backoff = new ReconnectBackoff({
      minMs: options.reconnectMinMs ?? 100,
      maxMs: options.reconnectMaxMs ?? 2000,
    });
    const limit = options.connectTimeoutMs;
    const deadline = limit === undefined ? Number.POSITIVE_INFINITY : Date.now() + limit;
    for (;;) {
      try {
        const nc = await connect({
          servers: options.servers,
          name: options.name,
          maxReconnectAttempts: -1,
          reconnectDelayHandler: () => backoff.next(),
          pingInterval: options.pingIntervalMs ?? 10_000,
          maxPingOut: options.maxPingOut ?? 3,
          timeout: Math.max(1, Math.min(5000, deadline - Date.now())),
        });
        return new NatsClient(nc, options);
      } catch (cause) {
        const leftMs = deadline - Date.now();
        if (leftMs <= 0) throw connectError(options, cause);
        const logger = options.logger ?? consoleLogger;
        logger.warn({ servers: options.servers, err: cause }, 'NATS connect failed; retrying');
        await delay(Math.min(backoff.next(), leftMs));
      }
    }
  }

  /** True while connected (false between 'disconnect' and 'reconnect'). */
  get connected(): boolean {
    return this.#connected && !this.nc.isClosed();
  }

  /** Publishes `message` on `subject` (buffered while disconnected). */
  publish<T>(subject: string, codec: MessageCodec<T>, message: T, options: PublishOptions = {}): void {
    this.nc.publish(subject, codec.encode(message), { headers: toNatsHeaders(options.headers) });
  }

  /**
   * Calls `handler` with every message on `subject` (wildcards allowed). A message that does not
   * decode, or a handler that throws, is logged and skipped; the subscription goes on.
   */
  subscribe<T>(
    subject: string,
    codec: MessageCodec<T>,
    handler: (message: T, meta: MessageMeta) => void | Promise<void>,
    options: SubscribeOptions = {},
  ): TypedSubscription {
    return this.#subscribe(subject, options, async (msg, meta) => {
      let message: T;
      try {
        message = codec.decode(msg.data);
      } catch (err) {
        this.logger.warn({ subject: msg.subject, err }, `dropped a message that is not a ${codec.type}`);
        return;
      }
      await handler(message, meta);
    });
  }

  /** Sends a request and resolves with the decoded reply; rejects with ServiceError. */
  async request<Req, Res>(
    subject: string,
    requestCodec: MessageCodec<Req>,
    request: Req,
    replyCodec: MessageCodec<Res>,
    options: RequestOptions = {},
  ): Promise<Res> {
    let reply: Msg;
    try {
      reply = await this.nc.request(subject, requestCodec.encode(request), {
        timeout: options.timeoutMs ?? this.#requestTimeoutMs,
        headers: toNatsHeaders(options.headers),
      });
    } catch (err) {
      throw requestError(err, subject);
    }
    if (reply.headers?.get(ERROR_HEADER) === '1') {
      throw ServiceError.fromWire(serviceErrorCodec.decode(reply.data));
    }
    return replyCodec.decode(reply.data);
  }

  /**
   * Answers requests on `subject` with `handler`'s result. A request that does not decode, or a
   * handler that throws, gets a ServiceError reply (anything else thrown becomes 'internal').
   */
  serve<Req, Res>(
    subject: string,
    requestCodec: MessageCodec<Req>,
    replyCodec: MessageCodec<Res>,
    handler: (request: Req, meta: MessageMeta) => Res | Promise<Res>,
    options: SubscribeOptions = {},
  ): TypedSubscription {
    return this.#subscribe(subject, options, async (msg, meta) => {
      if (msg.reply === undefined) {
        this.logger.warn(
          { subject: msg.subject },
          `dropped a ${requestCodec.type} sent without a reply subject`,
        );
        return;
      }
      try {
        const reply = await handler(requestCodec.decode(msg.data), meta);
        msg.respond(replyCodec.encode(reply));
      } catch (err) {
        const error = ServiceError.from(err);
        if (error.code === 'internal') this.logger.warn({ subject: msg.subject, err }, 'request failed');
        msg.respond(serviceErrorCodec.encode(error.toWire()), {
          headers: toNatsHeaders({ [ERROR_HEADER]: '1' }),
        });
      }
    });
  }

  /** Resolves once the server has seen everything sent so far (e.g. after subscribing, before a peer publishes). */
  flush(): Promise<void> {
    return this.nc.flush();
  }

  /** The JetStream KV manager on this connection; its requests time out after `timeoutMs` (default 5 s). */
  kvm(timeoutMs = 5000): Kvm {
    return new Kvm(jetstream(this.nc, { timeout: timeoutMs }));
  }

  /** Drains and closes the connection; idempotent. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    if (this.nc.isDraining()) {
      await this.nc.closed();
      return;
    }
    await this.nc.drain();
  }

  #subscribe(
    subject: string,
    options: SubscribeOptions,
    onMessage: (msg: Msg, meta: MessageMeta) => Promise<void>,
  ): TypedSubscription {
    const sub: Subscription = this.nc.subscribe(subject, {
      queue: options.queue,
      callback: (err, msg) => {
        if (err !== null) {
          this.logger.warn({ subject, err }, 'subscription failed');
          return;
        }
        const meta: MessageMeta = {
          subject: msg.subject,
          headers: fromNatsHeaders(msg.headers),
          reply: msg.reply,
        };
        onMessage(msg, meta).catch((cause) =>
          this.logger.warn({ subject: msg.subject, err: cause }, 'handler failed'),
        );
      },
    });
    return { subject, unsubscribe: () => sub.unsubscribe(), drain: () => sub.drain() };
  }

  async #watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.#connected = false;
        this.logger.warn({ server: status.server, client: this.name }, 'NATS disconnected');
        this.emit('disconnect', status.server);
      } else if (status.type === 'reconnect') {
        this.#connected = true;
        this.logger.info({ server: status.server, client: this.name }, 'NATS reconnected');
        this.emit('reconnect', status.server);
      }
    }
  }
}

function connectError(options: NatsClientOptions, cause: unknown): ServiceError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ServiceError('unavailable', `cannot connect to NATS at ${String(options.servers)}: ${why}`, {
    cause,
  });
}
