import { type Cancel, cancelCodec, ServiceError, subjects } from '@pdserve/protocol';
import type { MessageMeta, NatsClient, PublishOptions, TypedSubscription } from './nats-client.js';

/**
 * Request cancellation over NATS. The gateway (client disconnect, abort) or router calls cancel();
 * engine instances and kv-connector agents call listen() once at start and free what they hold
 * for the request; code that waits on one request uses signal(), an AbortSignal that aborts with
 * ServiceError 'aborted'.
 */
export class CancelBus {
  readonly #client: NatsClient;

  constructor(client: NatsClient) {
    this.#client = client;
  }

  /** Tells every service to stop `requestId`. */
  cancel(requestId: string, reason?: string, options?: PublishOptions): void {
    this.#client.publish(subjects.cancel(requestId), cancelCodec, { requestId, reason }, options);
  }

  /** Calls `handler` for every cancelled request (one subscription for all). */
  listen(handler: (cancel: Cancel, meta: MessageMeta) => void | Promise<void>): TypedSubscription {
    return this.#client.subscribe(subjects.allCancels(), cancelCodec, handler);
  }

  /**
   * An AbortSignal that aborts (reason: ServiceError 'aborted') when `requestId` is cancelled.
   * Call dispose() when the request is done, to drop the subscription. Await `ready` before
   * relying on it catching a cancel sent right after.
   */
  signal(requestId: string): { signal: AbortSignal; ready: Promise<void>; dispose(): void } {
    const controller = new AbortController();
    const sub = this.#client.subscribe(subjects.cancel(requestId), cancelCodec, (cancel) => {
      const why = cancel.reason === undefined ? '' : `: ${cancel.reason}`;
      controller.abort(new ServiceError('aborted', `request ${requestId} was cancelled${why}`));
      sub.unsubscribe();
    });
    return { signal: controller.signal, ready: this.#client.flush(), dispose: () => sub.unsubscribe() };
  }
}
