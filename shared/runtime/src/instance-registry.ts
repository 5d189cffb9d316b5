import type { KV } from '@nats-io/kv';
import {
  type InstanceInfo,
  instanceRecordCodec,
  type LoadReport,
  ServiceError,
  subjects,
} from '@pdserve/protocol';
import { openInstanceBucket } from './instance-bucket.js';
import type { NatsClient } from './nats-client.js';

export interface InstanceRegistryOptions {
  /** How often the record is re-put (default 1000 ms). */
  heartbeatMs?: number;
  /** Bucket max_age if this registry creates the bucket (default 5 heartbeats). */
  ttlMs?: number;
  bucket?: string;
  /**
   * Timeout of one put (default 2 heartbeats, 200 ms .. 5 s): a put lost in a NATS outage must
   * not hold back the beats after it for JetStream's usual 5 s.
   */
  putTimeoutMs?: number;
}

/**
 * Publishes one engine instance in the discovery bucket: register() puts its InstanceRecord
 * (InstanceInfo plus a Heartbeat with the latest LoadReport), a timer re-puts it every
 * heartbeatMs (renewing the bucket's max_age, and at once after a reconnect), deregister()
 * deletes it at shutdown. Owned by the instance's service main; reads load through the callback
 * given to register(). A failed beat is logged and the next one tries again.
 */
export class InstanceRegistry {
  readonly #client: NatsClient;
  readonly #heartbeatMs: number;
  readonly #ttlMs: number;
  readonly #bucket: string | undefined;
  readonly #putTimeoutMs: number;
  #kv: KV | null = null;
  #info: InstanceInfo | null = null;
  #load: (() => LoadReport) | null = null;
  #seq = 0;
  #timer: NodeJS.Timeout | null = null;
  #beating: Promise<void> | null = null;
  readonly #onReconnect = () => void this.beat();

  constructor(client: NatsClient, options: InstanceRegistryOptions = {}) {
    this.#client = client;
    this.#heartbeatMs = options.heartbeatMs ?? 1000;
    this.#ttlMs = options.ttlMs ?? this.#heartbeatMs * 5;
    this.#bucket = options.bucket;
    this.#putTimeoutMs = options.putTimeoutMs ?? Math.min(5000, Math.max(200, this.#heartbeatMs * 2));
  }

  /** True between register() and deregister(). */
  get registered(): boolean {
    return this.#info !== null;
  }

  /** Puts the first record and starts the heartbeat; rejects with ServiceError if the put fails. */
  async register(info: InstanceInfo, load: () => LoadReport): Promise<void> {
    if (this.#info !== null) throw new ServiceError('internal', `instance ${info.id} is already registered`);
    this.#kv = await openInstanceBucket(this.#client, {
      ttlMs: this.#ttlMs,
      bucket: this.#bucket,
      requestTimeoutMs: this.#putTimeoutMs,
    });
    this.#info = info;
    this.#load = load;
    try {
      await this.#put();
    } catch (cause) {
      this.#info = null;
      throw new ServiceError('unavailable', `cannot register instance ${info.id}`, { cause });
    }
    this.#client.on('reconnect', this.#onReconnect);
    this.#schedule();
  }

  /** Re-puts the record now (also what the timer does); failures are logged, not thrown. */
  async beat(): Promise<void> {
    if (this.#info === null) return;
    // One put at a time: a slow put is not overtaken by the next beat.
    this.#beating ??= this.#put()
      .catch((err) => this.#client.logger.warn({ err, instanceId: this.#info?.id }, 'heartbeat failed'))
      .finally(() => {
        this.#beating = null;
      });
    await this.#beating;
  }

  /** Stops the heartbeat and deletes the record, so views see the instance leave at once. */
  async deregister(): Promise<void> {
    const info = this.#info;
    if (info === null) return;
    this.#info = null;
    this.#client.off('reconnect', this.#onReconnect);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#beating;
    try {
      await this.#kv?.delete(subjects.instanceKey(info.model, info.id));
    } catch (cause) {
      throw new ServiceError('unavailable', `cannot deregister instance ${info.id}`, { cause });
    }
  }

  #schedule(): void {
    this.#timer = setTimeout(async () => {
      if (this.#info === null) return;
      if (this.#client.nc.isClosed()) {
        this.#client.logger.warn({ instanceId: this.#info.id }, 'NATS connection closed; heartbeat stops');
        return;
      }
      await this.beat();
      if (this.#info !== null) this.#schedule();
    }, this.#heartbeatMs);
    this.#timer.unref();
  }

  async #put(): Promise<void> {
    const info = this.#info;
    const kv = this.#kv;
    if (info === null || kv === null || this.#load === null) return;
    const heartbeat = {
      instanceId: info.id,
      model: info.model,
      epoch: info.epoch,
      seq: this.#seq++,
      sentAtMs: Date.now(),
      load: this.#load(),
    };
    await kv.put(subjects.instanceKey(info.model, info.id), instanceRecordCodec.encode({ info, heartbeat }));
  }
}
