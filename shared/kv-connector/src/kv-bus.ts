import type { MessageCodec } from '@pdserve/protocol';

/** A live subscription or served subject on a KvBus. */
export interface KvBusSubscription {
  unsubscribe(): void;
}

/** Message headers (the W3C trace context of the sender's span, so spans join the request's trace). */
export type KvBusHeaders = Record<string, string>;

/**
 * The messaging the kv-connector needs: request/reply, publish/subscribe and the largest message
 * the bus carries. Requests may carry headers, which the serving handler receives. `NatsKvBus` puts it on a NatsClient (the same method shapes); `InMemoryKvBus`
 * is the in-process test double. Requests reject with ServiceError ('timeout', 'unavailable' when
 * nobody serves the subject, or what the responder threw).
 */
export interface KvBus {
  /** Largest message payload in bytes (NATS: the server's max_payload). */
  readonly maxPayload: number;
  request<Req, Res>(
    subject: string,
    requestCodec: MessageCodec<Req>,
    request: Req,
    replyCodec: MessageCodec<Res>,
    options?: { timeoutMs?: number; headers?: KvBusHeaders },
  ): Promise<Res>;
  serve<Req, Res>(
    subject: string,
    requestCodec: MessageCodec<Req>,
    replyCodec: MessageCodec<Res>,
    handler: (request: Req, headers: KvBusHeaders) => Res | Promise<Res>,
  ): KvBusSubscription;
  publish<T>(subject: string, codec: MessageCodec<T>, message: T): void;
  subscribe<T>(subject: string, codec: MessageCodec<T>, handler: (message: T) => void): KvBusSubscription;
  /** Resolves once everything sent so far reached the server (subscriptions are live). */
  flush(): Promise<void>;
}
