import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { type KV, type KvEntry, KvWatchInclude } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import { type InstanceInfo, type InstanceRole, instanceRecordCodec, subjects } from '@pdserve/protocol';
import { openInstanceBucket } from './instance-bucket.js';
import { type DeadReason, InstanceTable, type LiveInstance } from './instance-table.js';
import type { NatsClient } from './nats-client.js';

export interface ClusterViewOptions {
  /** Only this model's instances (default: every model). */
  model?: string;
  /** An instance whose latest heartbeat is older than this is dead (default 3 s). */
  deadAfterMs?: number;
  /** Bucket max_age if this view creates the bucket (default deadAfterMs). */
  ttlMs?: number;
  bucket?: string;
}

type ClusterViewEvents = {
  'instance-up': [instance: LiveInstance];
  'instance-updated': [instance: LiveInstance];
  'instance-dead': [info: InstanceInfo, reason: DeadReason];
};

/**
 * The live engine instances, as the discovery bucket says, kept current by a watch: routers and
 * gateways create one at start, query it per request, and react to its events ('instance-up',
 * 'instance-updated' on every heartbeat, 'instance-dead' with a reason). An instance is dead when
 * deregistered, replaced by a new epoch, or silent for deadAfterMs even if the bucket has not
 * purged it yet (server 2.9 sends no event on expiry). After a NATS reconnect the watch and the
 * snapshot are redone; heartbeats missed meanwhile count against deadAfterMs.
 */
export class ClusterView extends EventEmitter<ClusterViewEvents> {
  readonly #client: NatsClient;
  readonly #filter: string;
  readonly #options: ClusterViewOptions;
  readonly #table: InstanceTable;
  #kv: KV | null = null;
  #watch: QueuedIterator<KvEntry> | null = null;
  #stopped = false;
  readonly #onReconnect = () => this.#watch?.stop();

  constructor(client: NatsClient, options: ClusterViewOptions = {}) {
    super();
    this.#client = client;
    this.#options = options;
    this.#filter = subjects.instanceKeyFilter(options.model);
    this.#table = new InstanceTable(options.deadAfterMs ?? 3000, {
      up: (instance) => this.emit('instance-up', instance),
      updated: (instance) => this.emit('instance-updated', instance),
      dead: (info, reason) => this.emit('instance-dead', info, reason),
    });
  }

  /** Loads the current instances and starts watching; rejects with ServiceError if NATS is unreachable. */
  async start(): Promise<void> {
    const deadAfterMs = this.#options.deadAfterMs ?? 3000;
    this.#kv = await openInstanceBucket(this.#client, {
      ttlMs: this.#options.ttlMs ?? deadAfterMs,
      bucket: this.#options.bucket,
    });
    await this.#open(this.#kv);
    this.#client.on('reconnect', this.#onReconnect);
    void this.#consume(this.#kv);
  }

  /** Live instances, optionally of one model and role(s) (a role 'both' instance matches only 'both'). */
  instances(filter: { model?: string; role?: InstanceRole | InstanceRole[] } = {}): LiveInstance[] {
    const roles = filter.role === undefined ? null : ([] as InstanceRole[]).concat(filter.role);
    return this.#table
      .live()
      .filter((i) => filter.model === undefined || i.info.model === filter.model)
      .filter((i) => roles === null || roles.includes(i.info.role));
  }

  /** One live instance by id. */
  get(instanceId: string): LiveInstance | undefined {
    return this.#table.live().find((i) => i.info.id === instanceId);
  }

  /** Stops watching; no more events. */
  stop(): void {
    this.#stopped = true;
    this.#client.off('reconnect', this.#onReconnect);
    this.#watch?.stop();
    this.#table.clear();
  }

  /** Starts a watch for updates, then reads every current key (the watch covers what changes meanwhile). */
  async #open(kv: KV): Promise<void> {
    const watch = await kv.watch({ key: this.#filter, include: KvWatchInclude.UpdatesOnly });
    this.#watch = watch;
    if (this.#stopped) watch.stop();
    for await (const key of await kv.keys(this.#filter)) {
      const entry = await kv.get(key);
      if (entry !== null) this.#apply(entry, Math.min(Date.now(), entry.created.getTime()));
    }
  }

  async #consume(kv: KV): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      try {
        const watch = this.#watch;
        if (watch !== null) for await (const entry of watch) this.#apply(entry, Date.now());
        if (this.#stopped || this.#client.nc.isClosed()) return;
        await this.#open(kv);
        failures = 0;
      } catch (err) {
        this.#watch?.stop();
        this.#watch = null;
        if (this.#client.nc.isClosed()) return;
        failures++;
        this.#client.logger.warn({ err, failures }, 'cluster view watch failed; retrying');
        await delay(Math.min(100 * 2 ** failures, 2000));
      }
    }
  }

  #apply(entry: KvEntry, seenMs: number): void {
    if (entry.operation !== 'PUT') {
      this.#table.delete(entry.key, entry.revision);
      return;
    }
    try {
      this.#table.put(entry.key, entry.revision, instanceRecordCodec.decode(entry.value), seenMs);
    } catch (err) {
      this.#client.logger.warn({ err, key: entry.key }, 'ignored an instance record that does not decode');
    }
  }
}
