import type { KvPool } from '@pdserve/native';
import { ServiceError } from '@pdserve/protocol';
import type { KvOpen, KvTransferNotice } from './agent-messages.js';
import { blockChecksum, blockChecksums } from './block-checksum.js';
import { transferError } from './kv-connector-errors.js';
import type { KvBlockSink } from './kv-transport.js';
import type { PoolAttachment } from './pool-attachments.js';
import type { KvPeerRef } from './wire-types.js';
import type { KvCommit, KvCommitReply, KvReserve } from './xfer-messages.js';

/** One transfer into a decode instance's pool, as its agent tracks it. */
interface Inbound {
  transferId: string;
  requestId: string;
  attachment: PoolAttachment;
  blockIds: number[];
  state: 'open' | 'reserved' | 'committed';
  /** The sender run bound by `reserve`; null while open. */
  sender: KvPeerRef | null;
  senderExpiresAt: number;
  /** The lease the sender stated in `reserve` (else the receiver's own). */
  senderLeaseMs: number;
  /** While open: failed if no sender reserved it by then. */
  openExpiresAt: number;
  /** Writes handed out per block index (a checksum taken across a write is thrown away). */
  writes: Map<number, number>;
  /** Checksums of landed blocks taken since their last write (commit reads the rest itself). */
  landedCrcs: Map<number, number>;
  /** Checksums of landed blocks still being taken (commit waits for them rather than read twice). */
  checking: Set<Promise<void>>;
}

/** Publishes a notice to the instance that owns a transfer. */
export type NoticeSink = (instanceId: string, notice: KvTransferNotice) => void;

const samePeer = (a: KvPeerRef | null, b: KvPeerRef) => a?.agentId === b.agentId && a.epoch === b.epoch;

/**
 * The receiving half of an agent's transactions: open (the decode engine reserved blocks) ->
 * reserve (a sender run binds itself, under a lease it renews) -> data written through
 * `targetBlock` -> commit (every block's crc32 verified, the decode engine notified with the
 * decode state) -> release (forgotten). `abort`, the engine's `cancel`, a sender lease running
 * out or the engine's detach end it early; after that no byte is written (JS runs one handler at
 * a time, and every write looks the transfer up first). Owned by KvAgent.
 */
export class InboundTransfers implements KvBlockSink {
  private readonly byId = new Map<string, Inbound>();

  constructor(
    private readonly notify: NoticeSink,
    private readonly senderLeaseMs: number,
    /**
     * Called whenever a transfer is forgotten: its transport stops taking data for it, and the
     * Promise settles once nothing more can land in its blocks.
     */
    private readonly onForget: (transferId: string) => Promise<void> = () => Promise.resolve(),
  ) {}

  get size(): number {
    return this.byId.size;
  }

  /** Engine `open`; idempotent for the same transfer. */
  open(msg: KvOpen, attachment: PoolAttachment, now: number): void {
    const existing = this.byId.get(msg.transferId);
    if (existing !== undefined) {
      if (existing.attachment !== attachment || existing.requestId !== msg.requestId)
        throw new ServiceError('invalid_request', `transfer ${msg.transferId} is open for another request`);
      return;
    }
    const bad = msg.blockIds.find(
      (b) => !Number.isInteger(b) || b < 0 || b >= attachment.pool.layout.numBlocks,
    );
    if (bad !== undefined)
      throw transferError('invalid_request', msg.transferId, `block ${bad} is not in the pool`);
    const { transferId, requestId } = msg;
    const rec: Inbound = {
      transferId,
      requestId,
      attachment,
      blockIds: [...msg.blockIds],
      state: 'open',
      sender: null,
      senderExpiresAt: 0,
      senderLeaseMs: this.senderLeaseMs,
      // A lease later than the engine's own timeout: a backstop for an engine that lost track.
      openExpiresAt:
        msg.ttlMs === undefined ? Number.POSITIVE_INFINITY : now + msg.ttlMs + this.senderLeaseMs,
      writes: new Map(),
      landedCrcs: new Map(),
      checking: new Set(),
    };
    this.byId.set(transferId, rec);
  }

  /** Sender `reserve`: binds the sender run (idempotent for the same run). */
  reserve(msg: KvReserve, now: number): void {
    const rec = this.find(msg.transferId);
    const a = rec.attachment;
    if (a.instanceId !== msg.targetInstanceId || a.instanceEpoch !== msg.targetEpoch)
      throw transferError(
        'unavailable',
        msg.transferId,
        `instance ${msg.targetInstanceId} epoch ${msg.targetEpoch} does not hold it`,
      );
    if (rec.sender !== null && !samePeer(rec.sender, msg.from))
      throw transferError(
        'unavailable',
        msg.transferId,
        `reserved by another sender (${rec.sender.agentId} epoch ${rec.sender.epoch})`,
      );
    if (msg.numBlocks !== rec.blockIds.length || msg.blockBytes !== a.pool.blockBytes)
      throw transferError(
        'invalid_request',
        msg.transferId,
        `expects ${rec.blockIds.length} blocks of ${a.pool.blockBytes} bytes, got ${msg.numBlocks} of ${msg.blockBytes}`,
      );
    if (rec.state === 'committed') return;
    rec.sender = msg.from;
    rec.state = 'reserved';
    rec.senderLeaseMs = msg.leaseMs ?? this.senderLeaseMs;
    rec.senderExpiresAt = now + rec.senderLeaseMs;
  }

  targetBlock(transferId: string, from: KvPeerRef, index: number): Uint8Array {
    const rec = this.reservedBy(transferId, from);
    if (!Number.isInteger(index) || index < 0 || index >= rec.blockIds.length)
      throw transferError('invalid_request', transferId, `block index ${index} is out of range`);
    rec.writes.set(index, (rec.writes.get(index) ?? 0) + 1);
    rec.landedCrcs.delete(index);
    return this.view(rec, index);
  }

  /** The pool the transfer writes into, once `from` reserved it (throws like targetBlock). */
  targetPool(transferId: string, from: KvPeerRef): KvPool {
    return this.reservedBy(transferId, from).attachment.pool;
  }

  /** The transfer, if `from` holds it reserved (data may land); else ServiceError 'aborted'. */
  private reservedBy(transferId: string, from: KvPeerRef): Inbound {
    const rec = this.find(transferId);
    if (rec.state !== 'reserved' || !samePeer(rec.sender, from))
      throw transferError(
        'aborted',
        transferId,
        `takes no data from ${from.agentId} epoch ${from.epoch} (${rec.state})`,
      );
    return rec;
  }

  /**
   * A transport's note that blocks firstIndex .. firstIndex + count - 1 landed: their checksums
   * are taken now, off the JS thread, so the commit does not read them again (kept only if no
   * write was handed out for them meanwhile).
   */
  landed(transferId: string, from: KvPeerRef, firstIndex: number, count: number): void {
    const rec = this.byId.get(transferId);
    if (rec === undefined || rec.state !== 'reserved' || !samePeer(rec.sender, from)) return;
    const indices = [...Array(count).keys()].map((k) => firstIndex + k);
    if (count < 1 || indices.some((i) => i >= rec.blockIds.length)) return;
    const ids = indices.map((i) => rec.blockIds[i] as number);
    if (ids.some((b, k) => b !== (ids[0] as number) + k)) return; // not one range of the pool
    const stamps = indices.map((i) => rec.writes.get(i) ?? 0);
    const pool = rec.attachment.pool;
    const checked: Promise<void> = blockChecksums(pool, (ids[0] as number) * pool.blockBytes, count)
      .then((crcs) => {
        if (this.byId.get(transferId) !== rec) return;
        indices.forEach((i, k) => {
          if ((rec.writes.get(i) ?? 0) === stamps[k]) rec.landedCrcs.set(i, crcs[k] as number);
        });
      })
      .catch(() => {}) // the commit reads the blocks itself
      .finally(() => rec.checking.delete(checked));
    rec.checking.add(checked);
  }

  private view(rec: Inbound, index: number): Uint8Array {
    const pool = rec.attachment.pool;
    return new Uint8Array(pool.buffer(), rec.blockIds[index]! * pool.blockBytes, pool.blockBytes);
  }

  /**
   * Sender `commit`: verifies every block (checksums taken as blocks landed, the rest read from
   * the mapped pool now), then notifies the decode engine. Idempotent.
   */
  async commit(msg: KvCommit): Promise<KvCommitReply> {
    const rec = this.find(msg.transferId);
    if (!samePeer(rec.sender, msg.from))
      throw transferError('aborted', msg.transferId, 'not reserved by this sender');
    if (rec.state === 'committed') return { status: 'committed', badBlocks: [] };
    if (msg.blockCrcs.length !== rec.blockIds.length)
      throw transferError(
        'invalid_request',
        msg.transferId,
        `${msg.blockCrcs.length} checksums for ${rec.blockIds.length} blocks`,
      );
    await Promise.all([...rec.checking]);
    if (this.byId.get(msg.transferId) !== rec)
      throw transferError('aborted', msg.transferId, 'ended meanwhile');
    if ((rec.state as Inbound['state']) === 'committed') return { status: 'committed', badBlocks: [] }; // a concurrent commit won
    const badBlocks: number[] = [];
    for (let i = 0; i < rec.blockIds.length; i++) {
      const crc = rec.landedCrcs.get(i) ?? blockChecksum(this.view(rec, i)); // read from the mapped pool
      if (crc !== msg.blockCrcs[i]) badBlocks.push(i);
    }
    if (badBlocks.length > 0) return { status: 'bad_blocks', badBlocks };
    rec.state = 'committed';
    this.notify(rec.attachment.instanceId, {
      transferId: rec.transferId,
      requestId: rec.requestId,
      outcome: 'committed',
      decodeState: msg.decodeState,
    });
    return { status: 'committed', badBlocks: [] };
  }

  /** Sender `abort` (any time before release): the decode engine is told the transfer failed. */
  abort(transferId: string, from: KvPeerRef, reason: string): boolean {
    const rec = this.byId.get(transferId);
    if (rec === undefined) return false;
    if (rec.sender !== null && !samePeer(rec.sender, from)) return false;
    this.end(rec, reason);
    return true;
  }

  /** Sender `release` after commit: forgets the transfer. */
  release(transferId: string, from: KvPeerRef): boolean {
    const rec = this.byId.get(transferId);
    if (rec === undefined || !samePeer(rec.sender, from)) return false;
    if (rec.state !== 'committed')
      throw transferError('invalid_request', transferId, 'released before commit');
    void this.forget(transferId);
    return true;
  }

  /** Engine `cancel`: dropped at once, no notice (the engine asked). */
  cancel(transferId: string, attachment: PoolAttachment): boolean {
    const rec = this.byId.get(transferId);
    if (rec === undefined || rec.attachment !== attachment) return false;
    void this.forget(transferId); // the agent awaits the transport's quiesce itself
    return true;
  }

  /** Sender `renew`: extends the sender lease of its transfers; returns those it does not hold. */
  renew(from: KvPeerRef, transferIds: readonly string[], now: number, leaseMs?: number): string[] {
    const unknown: string[] = [];
    for (const id of transferIds) {
      const rec = this.byId.get(id);
      if (rec === undefined || !samePeer(rec.sender, from)) unknown.push(id);
      else {
        if (leaseMs !== undefined) rec.senderLeaseMs = leaseMs;
        rec.senderExpiresAt = now + rec.senderLeaseMs;
      }
    }
    return unknown;
  }

  /** Ends transfers whose sender lease ran out (the sender agent died) or that nobody reserved in time. */
  sweep(now: number): void {
    for (const rec of [...this.byId.values()]) {
      if (rec.sender === null) {
        if (rec.openExpiresAt <= now) this.end(rec, 'no sender reserved it in time');
        continue;
      }
      if (rec.senderExpiresAt > now) continue;
      if (rec.state === 'committed') void this.forget(rec.transferId);
      else this.end(rec, `the lease of sender agent ${rec.sender.agentId} expired`);
    }
  }

  /** The instance went away: its transfers are dropped (nobody is left to notify). */
  dropInstance(attachment: PoolAttachment): void {
    for (const rec of [...this.byId.values()])
      if (rec.attachment === attachment) void this.forget(rec.transferId);
  }

  private forget(transferId: string): Promise<void> {
    this.byId.delete(transferId);
    return this.onForget(transferId);
  }

  /** Forgets it and, once nothing more can land in its blocks, tells the engine (which frees them). */
  private end(rec: Inbound, reason: string): void {
    const quiet = this.forget(rec.transferId);
    if (rec.state === 'committed') return;
    const error = transferError('aborted', rec.transferId, reason).toWire();
    void quiet
      .catch(() => {})
      .then(() =>
        this.notify(rec.attachment.instanceId, {
          transferId: rec.transferId,
          requestId: rec.requestId,
          outcome: 'failed',
          error,
        }),
      );
  }

  private find(transferId: string): Inbound {
    const rec = this.byId.get(transferId);
    if (rec === undefined)
      throw transferError(
        'not_found',
        transferId,
        'unknown to the receiving agent (aborted, timed out or never opened)',
      );
    return rec;
  }
}
