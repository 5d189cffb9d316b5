import type { KvCacheEvent } from '@pdserve/engine';
import { kvEventBatchCodec, subjects, type WireKvEvent } from '@pdserve/protocol';
import type { NatsClient } from '@pdserve/runtime';

/** The engine's KV events in their wire form (BlockStored carries a token count, not the tokens). */
function toWire(event: KvCacheEvent): WireKvEvent {
  switch (event.type) {
    case 'BlockStored':
      return {
        type: 'BlockStored',
        blockHashes: event.blockHashes,
        parentBlockHash: event.parentBlockHash,
        numTokens: event.tokenIds.length,
      };
    case 'BlockRemoved':
      return { type: 'BlockRemoved', blockHashes: event.blockHashes };
    case 'AllBlocksCleared':
      return { type: 'AllBlocksCleared' };
  }
}

/** Where the publisher is and whose events it sends. */
export interface KvEventPublisherOptions {
  model: string;
  instanceId: string;
  epoch: number;
  /** Drains the engine's recorded events (EngineCore.takeKvEvents). */
  take: () => KvCacheEvent[];
}

/**
 * Publishes one instance's prefix-cache events to routers as KvEventBatches numbered 0, 1, 2...
 * per epoch (a router that sees a gap drops what it knows of the instance). EngineService calls
 * flush() after every engine step; a batch is sent only when there are events.
 */
export class KvEventPublisher {
  readonly #client: NatsClient;
  readonly #options: KvEventPublisherOptions;
  readonly #subject: string;
  #seq = 0;

  constructor(client: NatsClient, options: KvEventPublisherOptions) {
    this.#client = client;
    this.#options = options;
    this.#subject = subjects.kvEvents(options.model, options.instanceId);
  }

  /** Batches sent so far. */
  get sentBatches(): number {
    return this.#seq;
  }

  /** Sends the events recorded since the last flush, if any. */
  flush(): void {
    const events = this.#options.take();
    if (events.length === 0) return;
    this.#client.publish(this.#subject, kvEventBatchCodec, {
      instanceId: this.#options.instanceId,
      epoch: this.#options.epoch,
      seq: this.#seq++,
      events: events.map(toWire),
    });
  }
}
