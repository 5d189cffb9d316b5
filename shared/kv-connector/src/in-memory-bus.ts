import { type MessageCodec, ServiceError } from '@pdserve/protocol';
import type { KvBus, KvBusHeaders, KvBusSubscription } from './kv-bus.js';

type Handler = (data: Uint8Array, headers: KvBusHeaders) => Promise<Uint8Array>;
type Listener = (data: Uint8Array) => void;

/**
 * The test double for NATS: subjects of every InMemoryKvBus made from one network reach each
 * other in this process. Messages go through their codecs (encoded, then decoded on delivery) and
 * are delivered on a later turn of the event loop, so the code under test sees copies, as on a
 * wire. A closed bus serves nothing more: requests to it fail 'unavailable' (a dead peer).
 */
export class InMemoryKvNetwork {
  readonly handlers = new Map<string, Handler>();
  readonly listeners = new Map<string, Set<Listener>>();

  constructor(readonly maxPayload = 1024 * 1024) {}

  /** A new endpoint on this network. */
  bus(): InMemoryKvBus {
    return new InMemoryKvBus(this);
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One endpoint of an InMemoryKvNetwork (see there). */
export class InMemoryKvBus implements KvBus {
  private readonly subs = new Set<KvBusSubscription>();
  private closed = false;

  constructor(private readonly network: InMemoryKvNetwork) {}

  get maxPayload(): number {
    return this.network.maxPayload;
  }

  async request<Req, Res>(
    subject: string,
    requestCodec: MessageCodec<Req>,
    request: Req,
    replyCodec: MessageCodec<Res>,
    options: { timeoutMs?: number; headers?: KvBusHeaders } = {},
  ): Promise<Res> {
    if (this.closed) throw new ServiceError('unavailable', 'the bus is closed');
    const data = requestCodec.encode(request);
    if (data.byteLength > this.maxPayload)
      throw new ServiceError('payload_too_large', `message of ${data.byteLength} bytes on ${subject}`);
    await nextTurn();
    const handler = this.network.handlers.get(subject);
    if (handler === undefined) throw new ServiceError('unavailable', `no service listens on ${subject}`);
    const reply = await withTimeout(
      handler(data, { ...options.headers }),
      options.timeoutMs ?? 5000,
      subject,
    );
    return replyCodec.decode(reply);
  }

  serve<Req, Res>(
    subject: string,
    requestCodec: MessageCodec<Req>,
    replyCodec: MessageCodec<Res>,
    handler: (request: Req, headers: KvBusHeaders) => Res | Promise<Res>,
  ): KvBusSubscription {
    if (this.network.handlers.has(subject))
      throw new ServiceError('internal', `${subject} is already served`);
    const h: Handler = async (data, headers) => {
      try {
        return replyCodec.encode(await handler(requestCodec.decode(data), headers));
      } catch (err) {
        throw ServiceError.fromWire(ServiceError.from(err).toWire());
      }
    };
    this.network.handlers.set(subject, h);
    return this.track(() => {
      if (this.network.handlers.get(subject) === h) this.network.handlers.delete(subject);
    });
  }

  publish<T>(subject: string, codec: MessageCodec<T>, message: T): void {
    if (this.closed) return;
    const data = codec.encode(message);
    const listeners = [...(this.network.listeners.get(subject) ?? [])];
    setImmediate(() => {
      for (const l of listeners) l(data);
    });
  }

  subscribe<T>(subject: string, codec: MessageCodec<T>, handler: (message: T) => void): KvBusSubscription {
    const l: Listener = (data) => handler(codec.decode(data));
    let set = this.network.listeners.get(subject);
    if (set === undefined) {
      set = new Set();
      this.network.listeners.set(subject, set);
    }
    set.add(l);
    return this.track(() => this.network.listeners.get(subject)?.delete(l));
  }

  async flush(): Promise<void> {
    await nextTurn();
  }

  /** Removes every subscription of this endpoint (its process "died" or closed). */
  close(): void {
    this.closed = true;
    for (const s of [...this.subs]) s.unsubscribe();
  }

  private track(remove: () => void): KvBusSubscription {
    const sub: KvBusSubscription = {
      unsubscribe: () => {
        this.subs.delete(sub);
        remove();
      },
    };
    this.subs.add(sub);
    return sub;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, subject: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceError('timeout', `no reply on ${subject} in time`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
