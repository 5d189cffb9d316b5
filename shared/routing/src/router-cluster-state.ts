import { kvEventBatchCodec, subjects } from '@pdserve/protocol';
import { ClusterView, type LiveInstance, type NatsClient, type TypedSubscription } from '@pdserve/runtime';
import type { ClusterSnapshot, PendingLoad } from './cluster-snapshot.js';
import { PrefixIndex } from './prefix-index.js';

/** Where the state reads discovery from. */
export interface RouterClusterStateOptions {
  /** Silence after which an instance is dead (default 3000 ms). */
  deadAfterMs?: number;
  /** The discovery bucket's max_age if this router creates it (default deadAfterMs). */
  ttlMs?: number;
  bucket?: string;
  /** Called when the first instance of a model appears (the router starts serving its route subject). */
  onModel?: (model: string) => void;
  /** Called after any heartbeat, arrival or departure of an instance of `model`. */
  onUpdate?: (model: string) => void;
}

/** This router's load on an instance that a heartbeat seen at `seenAtMs` cannot show yet. */
export type PendingSource = (instanceId: string, seenAtMs: number) => PendingLoad | undefined;

/**
 * A router's picture of the cluster, rebuilt from NATS alone: the live instances and their load
 * (ClusterView over the discovery bucket, fed by heartbeats) and, per instance, the block hashes
 * its prefix cache holds (a PrefixIndex fed by the model's KV events). Routers build snapshots
 * from it per request; several routers each keep their own.
 */
export class RouterClusterState {
  readonly #client: NatsClient;
  readonly #view: ClusterView;
  readonly #options: RouterClusterStateOptions;
  readonly #indexes = new Map<string, PrefixIndex>();
  readonly #models = new Map<string, TypedSubscription>();

  constructor(client: NatsClient, options: RouterClusterStateOptions = {}) {
    this.#client = client;
    this.#options = options;
    this.#view = new ClusterView(client, {
      ...(options.deadAfterMs === undefined ? {} : { deadAfterMs: options.deadAfterMs }),
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      ...(options.bucket === undefined ? {} : { bucket: options.bucket }),
    });
    this.#view.on('instance-up', (i) => {
      this.#onUp(i);
      options.onUpdate?.(i.info.model);
    });
    this.#view.on('instance-updated', (i) => options.onUpdate?.(i.info.model));
    this.#view.on('instance-dead', (info) => {
      this.#indexes.delete(info.id);
      options.onUpdate?.(info.model);
    });
  }

  /** Loads the live instances and starts following heartbeats and KV events. */
  async start(): Promise<void> {
    await this.#view.start();
    for (const instance of this.#view.instances()) this.#onUp(instance);
    await this.#client.flush();
  }

  /** The models with at least one live instance. */
  models(): string[] {
    return [...new Set(this.#view.instances().map((i) => i.info.model))];
  }

  /** The prefix index of one instance (for tests and debugging). */
  prefixIndex(instanceId: string): PrefixIndex | undefined {
    return this.#indexes.get(instanceId);
  }

  /**
   * The live instances of `model` now, with their load and cached blocks, and (given `pending`)
   * the load this router placed on each since its latest heartbeat.
   */
  snapshot(model: string, nowMs = Date.now(), pending?: PendingSource): ClusterSnapshot {
    const instances = this.#view.instances({ model }).map((i) => {
      const extra = pending?.(i.info.id, i.lastSeenMs);
      return {
        info: i.info,
        load: i.heartbeat.load,
        cachedBlocks: this.#indexes.get(i.info.id)?.blocks ?? new Set<string>(),
        ...(extra === undefined ? {} : { pending: extra }),
      };
    });
    return { model, nowMs, instances };
  }

  /** The block size of a live instance (16 when it is unknown). */
  blockSize(instanceId: string): number {
    return this.#view.get(instanceId)?.info.blockSize ?? 16;
  }

  /** Stops following the cluster. */
  stop(): void {
    this.#view.stop();
    for (const sub of this.#models.values()) sub.unsubscribe();
    this.#models.clear();
    this.#indexes.clear();
  }

  #onUp(instance: LiveInstance): void {
    const { id, model } = instance.info;
    // A new epoch of the same id starts from an empty index (the old one is dropped on 'dead').
    if (!this.#indexes.has(id)) this.#indexes.set(id, new PrefixIndex());
    if (this.#models.has(model)) return;
    this.#models.set(
      model,
      this.#client.subscribe(subjects.allKvEvents(model), kvEventBatchCodec, (batch) => {
        const index = this.#indexes.get(batch.instanceId);
        if (index?.apply(batch) === 'resynced') {
          this.#client.logger.info(
            { instanceId: batch.instanceId, seq: batch.seq },
            'KV event gap: prefix index resynced',
          );
        }
      }),
    );
    this.#options.onModel?.(model);
  }
}
