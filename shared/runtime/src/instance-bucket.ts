import type { KV } from '@nats-io/kv';
import { INSTANCE_BUCKET, ServiceError } from '@pdserve/protocol';
import type { NatsClient } from './nats-client.js';

export interface InstanceBucketOptions {
  /** Bucket max_age: a key not re-put for this long is purged by the server. */
  ttlMs: number;
  /** Default INSTANCE_BUCKET; tests may use their own. */
  bucket?: string;
  /** Timeout of each KV request (default 5 s). */
  requestTimeoutMs?: number;
}

/**
 * Opens the discovery bucket, creating it (history 1, max_age ttlMs) when missing. Server 2.9 has
 * no per-key TTL, so liveness is bucket-wide max_age renewed by re-putting on every heartbeat.
 * An existing bucket keeps the max_age it was made with (a differing ttlMs is logged). Called by
 * InstanceRegistry and ClusterView; ServiceError 'unavailable' when JetStream cannot be reached.
 */
export async function openInstanceBucket(client: NatsClient, options: InstanceBucketOptions): Promise<KV> {
  const name = options.bucket ?? INSTANCE_BUCKET;
  let kv: KV;
  try {
    kv = await client.kvm().create(name, { history: 1, ttl: options.ttlMs });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ServiceError('unavailable', `cannot open the discovery bucket ${name}: ${why}`, { cause });
  }
  const status = await kv.status();
  if (status.ttl !== options.ttlMs) {
    client.logger.warn(
      { bucket: name, bucketTtlMs: status.ttl, wantedTtlMs: options.ttlMs },
      'discovery bucket exists with another max_age; keeping it',
    );
  }
  // Bind again with the caller's timeout for its own requests (binding sends no request).
  return options.requestTimeoutMs === undefined ? kv : client.kvm(options.requestTimeoutMs).open(name);
}
