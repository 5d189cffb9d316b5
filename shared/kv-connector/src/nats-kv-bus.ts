import type { MessageCodec } from '@pdserve/protocol';
import type { NatsClient } from '@pdserve/runtime';
import type { KvBus, KvBusHeaders, KvBusSubscription } from './kv-bus.js';

/** The NATS default when the server did not say (1 MiB). */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** A KvBus on a service's NatsClient; `maxPayload` is the connected server's max_payload. */
export class NatsKvBus implements KvBus {
  constructor(readonly client: NatsClient) {}

  get maxPayload(): number {
    return this.client.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  }

  request<Req, Res>(
    subject: string,
    requestCodec: MessageCodec<Req>,
    request: Req,
    replyCodec: MessageCodec<Res>,
    options: { timeoutMs?: number; headers?: KvBusHeaders } = {},
  ): Promise<Res> {
    return this.client.request(subject, requestCodec, request, replyCodec, options);
  }

  serve<Req, Res>(
    subject: string,
    requestCodec: MessageCodec<Req>,
    replyCodec: MessageCodec<Res>,
    handler: (request: Req, headers: KvBusHeaders) => Res | Promise<Res>,
  ): KvBusSubscription {
    return this.client.serve(subject, requestCodec, replyCodec, (req, meta) => handler(req, meta.headers));
  }

  publish<T>(subject: string, codec: MessageCodec<T>, message: T): void {
    this.client.publish(subject, codec, message);
  }

  subscribe<T>(subject: string, codec: MessageCodec<T>, handler: (message: T) => void): KvBusSubscription {
    return this.client.subscribe(subject, codec, (message) => handler(message));
  }

  flush(): Promise<void> {
    return this.client.flush();
  }
}
