import { KvPool } from '@pdserve/native';
import { ServiceError } from '@pdserve/protocol';
import type { KvAttach } from './agent-messages.js';
import type { KvHandshakeMetadata } from './wire-types.js';

/** One engine instance's pool as its agent maps it, under the instance's lease. */
export interface PoolAttachment {
  instanceId: string;
  instanceEpoch: number;
  pool: KvPool;
  handshake: KvHandshakeMetadata;
  leaseMs: number;
  expiresAt: number;
}

/**
 * The engine pools an agent has mapped (KvPool.open by shm name), one per instance id. `attach`
 * replaces an older epoch of the same instance (a restart: its transfers are dropped by the
 * caller through `onDrop`); a lease not renewed in time drops the attachment (`sweep`).
 */
export class PoolAttachments {
  private readonly byId = new Map<string, PoolAttachment>();

  constructor(private readonly onDrop: (attachment: PoolAttachment, why: string) => void) {}

  /** Maps the pool (idempotent for the same instance run); throws ServiceError when it cannot. */
  attach(msg: KvAttach, now: number): PoolAttachment {
    const old = this.byId.get(msg.instanceId);
    if (old !== undefined && old.instanceEpoch === msg.instanceEpoch && old.pool.name === msg.poolName) {
      old.expiresAt = now + old.leaseMs;
      return old;
    }
    if (old !== undefined) this.drop(old, 'the instance attached again (restarted)');
    const pool = openPool(msg);
    const attachment: PoolAttachment = {
      instanceId: msg.instanceId,
      instanceEpoch: msg.instanceEpoch,
      pool,
      handshake: msg.handshake,
      leaseMs: msg.leaseMs,
      expiresAt: now + msg.leaseMs,
    };
    this.byId.set(msg.instanceId, attachment);
    return attachment;
  }

  /** The attachment of this instance run, or undefined (unknown instance or another epoch). */
  get(instanceId: string, instanceEpoch: number): PoolAttachment | undefined {
    const a = this.byId.get(instanceId);
    return a?.instanceEpoch === instanceEpoch ? a : undefined;
  }

  /** Like get, but throws ServiceError 'unavailable' naming what is missing. */
  require(instanceId: string, instanceEpoch: number): PoolAttachment {
    const a = this.get(instanceId, instanceEpoch);
    if (a !== undefined) return a;
    const known = this.byId.get(instanceId);
    const why = known
      ? `instance ${instanceId} runs as epoch ${known.instanceEpoch}, not ${instanceEpoch}`
      : `instance ${instanceId} is not attached to this agent`;
    throw new ServiceError('unavailable', why);
  }

  /** Renews the lease; false when this instance run is not attached (it must attach again). */
  renew(instanceId: string, instanceEpoch: number, now: number): boolean {
    const a = this.get(instanceId, instanceEpoch);
    if (a === undefined) return false;
    a.expiresAt = now + a.leaseMs;
    return true;
  }

  detach(instanceId: string, instanceEpoch: number): boolean {
    const a = this.get(instanceId, instanceEpoch);
    if (a !== undefined) this.drop(a, 'the instance detached');
    return a !== undefined;
  }

  /** Drops every attachment whose lease ran out (its engine died or lost its connection). */
  sweep(now: number): void {
    for (const a of [...this.byId.values()]) {
      if (a.expiresAt <= now) this.drop(a, `the lease of instance ${a.instanceId} expired`);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  closeAll(why: string): void {
    for (const a of [...this.byId.values()]) this.drop(a, why);
  }

  private drop(a: PoolAttachment, why: string): void {
    this.byId.delete(a.instanceId);
    this.onDrop(a, why);
    a.pool.close();
  }
}

function openPool(msg: KvAttach): KvPool {
  let pool: KvPool;
  try {
    pool = KvPool.open(msg.poolName, msg.layout);
  } catch (cause) {
    throw new ServiceError('unavailable', `cannot map KV pool ${msg.poolName} of ${msg.instanceId}`, {
      cause,
    });
  }
  if (pool.blockBytes !== msg.blockBytes) {
    pool.close();
    throw new ServiceError(
      'invalid_request',
      `KV pool ${msg.poolName}: ${msg.blockBytes} bytes per block announced, the layout gives ${pool.blockBytes}`,
    );
  }
  return pool;
}
