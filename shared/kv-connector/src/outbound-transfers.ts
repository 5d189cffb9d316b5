import { ServiceError, subjects } from '@pdserve/protocol';
import type { KvStage } from './agent-messages.js';
import type { NoticeSink } from './inbound-transfers.js';
import type { KvBus, KvBusHeaders } from './kv-bus.js';
import { transferError } from './kv-connector-errors.js';
import type { KvTransferObserver } from './kv-transfer-observer.js';
import type { KvTransport } from './kv-transport.js';
import { type OutboundContext, OutboundTransfer } from './outbound-transfer.js';
import type { PoolAttachment } from './pool-attachments.js';
import type { KvPeerRef, KvTransferTarget } from './wire-types.js';
import {
  type KvHandshakeReply,
  kvHandshakeCodec,
  kvHandshakeReplyCodec,
  kvRenewCodec,
  kvRenewReplyCodec,
} from './xfer-messages.js';

export interface OutboundTransfersOptions {
  bus: KvBus;
  self: KvPeerRef;
  transport: KvTransport;
  notify: NoticeSink;
  requestTimeoutMs: number;
  maxCommitAttempts: number;
  /** This agent's sender lease, stated in reserve and renew (it renews every third of it). */
  leaseMs: number;
  observer?: KvTransferObserver;
}

/**
 * An agent's outbound transfers (prefill side), by transfer id: creates one on the engine's first
 * `stage`/`finish`, caches handshakes per (receiver agent, source instance run, target instance
 * run), and renews the sender lease of active transfers at each receiver (`renewAll`, on the
 * agent's heartbeat); a receiver that no longer knows a transfer, or is gone, fails it.
 */
export class OutboundTransfers {
  private readonly byId = new Map<string, OutboundTransfer>();
  private readonly sessions = new Map<string, Promise<KvHandshakeReply>>();
  private readonly ctx: OutboundContext;

  constructor(private readonly options: OutboundTransfersOptions) {
    this.ctx = { ...options, session: (source, target) => this.session(source, target) };
  }

  get size(): number {
    return this.byId.size;
  }

  /** Engine `stage` / `finish` from `source`'s instance (`headers`: the message's, for telemetry). */
  stage(msg: KvStage, source: PoolAttachment, headers: KvBusHeaders = {}): void {
    const n = source.pool.layout.numBlocks;
    const bad = msg.srcBlockIds.find((b) => !Number.isInteger(b) || b < 0 || b >= n);
    if (bad !== undefined)
      throw transferError('invalid_request', msg.transferId, `source block ${bad} is not in the pool`);
    let t = this.byId.get(msg.transferId);
    if (t !== undefined && t.source !== source)
      throw transferError('invalid_request', msg.transferId, 'staged by another instance');
    if (t === undefined) {
      t = new OutboundTransfer(msg.transferId, msg.requestId, source, msg.target, this.ctx, (x) =>
        this.ended(x),
      );
      t.observe(this.options.observer, headers);
      this.byId.set(msg.transferId, t);
    }
    t.stage(msg);
  }

  /** Engine `cancel`: resolves once the transfer reads the source pool no more; false if unknown. */
  async cancel(transferId: string, source: PoolAttachment, reason: string): Promise<boolean> {
    const t = this.byId.get(transferId);
    if (t === undefined || t.source !== source) return false;
    await t.cancel(reason);
    return true;
  }

  /** The source instance went away: cancel everything it staged. */
  async dropInstance(source: PoolAttachment, why: string): Promise<void> {
    const mine = [...this.byId.values()].filter((t) => t.source === source);
    await Promise.all(mine.map((t) => t.cancel(why)));
  }

  /** Renews our sender lease at every receiver with active transfers (the agent's heartbeat). */
  async renewAll(): Promise<void> {
    const byPeer = new Map<string, { peer: KvPeerRef; transfers: OutboundTransfer[] }>();
    for (const t of this.byId.values()) {
      if (t.peer === null || (t.state !== 'sending' && t.state !== 'committing')) continue;
      const key = `${t.peer.agentId}#${t.peer.epoch}`;
      const entry = byPeer.get(key) ?? { peer: t.peer, transfers: [] };
      entry.transfers.push(t);
      byPeer.set(key, entry);
    }
    await Promise.all([...byPeer.values()].map(({ peer, transfers }) => this.renewAt(peer, transfers)));
  }

  async closeAll(why: string): Promise<void> {
    await Promise.all([...this.byId.values()].map((t) => t.cancel(why)));
  }

  private async renewAt(peer: KvPeerRef, transfers: OutboundTransfer[]): Promise<void> {
    try {
      const { unknown } = await this.options.bus.request(
        subjects.kvXfer(peer.agentId, 'renew'),
        kvRenewCodec,
        {
          from: this.options.self,
          toEpoch: peer.epoch,
          transferIds: transfers.map((t) => t.transferId),
          leaseMs: this.options.leaseMs,
        },
        kvRenewReplyCodec,
        { timeoutMs: this.options.requestTimeoutMs },
      );
      const lost = new Set(unknown);
      for (const t of transfers) {
        if (lost.has(t.transferId))
          t.fail(transferError('aborted', t.transferId, `agent ${peer.agentId} no longer holds it`));
      }
    } catch (err) {
      // A timeout may pass; a receiver that is gone or restarted fails its transfers now.
      const error = ServiceError.from(err);
      if (error.code === 'timeout') return;
      for (const t of transfers) t.fail(transferError('unavailable', t.transferId, error.message, error));
    }
  }

  private session(source: PoolAttachment, target: KvTransferTarget): Promise<KvHandshakeReply> {
    const key = sessionKey(source, target);
    let hs = this.sessions.get(key);
    if (hs === undefined) {
      hs = this.options.bus.request(
        subjects.kvXfer(target.agentId, 'handshake'),
        kvHandshakeCodec,
        {
          from: this.options.self,
          source: source.handshake,
          targetInstanceId: target.instanceId,
          targetEpoch: target.instanceEpoch,
        },
        kvHandshakeReplyCodec,
        { timeoutMs: this.options.requestTimeoutMs },
      );
      this.sessions.set(key, hs);
      hs.catch(() => this.sessions.delete(key));
    }
    return hs;
  }

  private ended(t: OutboundTransfer): void {
    this.byId.delete(t.transferId);
    // A failed transfer may mean a restarted receiver: handshake afresh next time.
    if (t.state === 'failed') this.sessions.delete(sessionKey(t.source, t.target));
  }
}

function sessionKey(source: PoolAttachment, target: KvTransferTarget): string {
  return JSON.stringify([
    target.agentId,
    source.instanceId,
    source.instanceEpoch,
    target.instanceId,
    target.instanceEpoch,
  ]);
}
