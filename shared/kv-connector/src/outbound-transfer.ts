import { ServiceError, subjects } from '@pdserve/protocol';
import { type KvStage, kvAckCodec } from './agent-messages.js';
import { blockChecksums } from './block-checksum.js';
import type { NoticeSink } from './inbound-transfers.js';
import type { KvBus, KvBusHeaders } from './kv-bus.js';
import { transferError } from './kv-connector-errors.js';
import type { KvTransferEndInfo, KvTransferObserver } from './kv-transfer-observer.js';
import type { KvSendItem, KvTransport, KvTransportKind } from './kv-transport.js';
import type { PoolAttachment } from './pool-attachments.js';
import type { KvPeerRef, KvTransferTarget, RequestDecodeState } from './wire-types.js';
import {
  type KvHandshakeReply,
  kvCommitCodec,
  kvCommitReplyCodec,
  kvEndCodec,
  kvReserveCodec,
} from './xfer-messages.js';

/** What an OutboundTransfer needs from its agent. */
export interface OutboundContext {
  bus: KvBus;
  self: KvPeerRef;
  transport: KvTransport;
  requestTimeoutMs: number;
  /** This agent's sender lease, stated in `reserve`. */
  leaseMs: number;
  /** Rounds of re-sending blocks a commit found bad before giving up. */
  maxCommitAttempts: number;
  /** The handshake with the target's agent for this pair of instances (cached by the agent). */
  session(source: PoolAttachment, target: KvTransferTarget): Promise<KvHandshakeReply>;
  notify: NoticeSink;
}

type OutboundState = 'sending' | 'committing' | 'done' | 'failed';

/**
 * The sending half of one transaction, owned by the prefill host's agent: staged blocks are read
 * from the prefill pool and sent as they come (handshake and reserve first); once `finish` gave
 * the block count and decode state and every block went out, commit (blocks the receiver finds
 * bad are sent again, a bounded number of rounds) and release, then notify the prefill engine
 * `sent`. Any failure aborts at the receiver and notifies `failed`; `cancel` (the engine asked)
 * stops before the next read of its pool and resolves once nothing reads it any more.
 */
export class OutboundTransfer {
  state: OutboundState = 'sending';
  /** The receiver run, once reserved. */
  peer: KvPeerRef | null = null;
  private readonly src = new Map<number, number>();
  private readonly pending = new Set<number>();
  private readonly crcs: number[] = [];
  private numBlocks: number | null = null;
  private decodeState: RequestDecodeState | null = null;
  private pump: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private commitAttempts = 0;
  /** The receiver's handshake reply (transports, limits, UCX address), once reserved. */
  private session: KvHandshakeReply | null = null;
  /** The path that moved the last blocks (a transport may fall back from UCX to NATS). */
  private movedBy: KvTransportKind;
  /** What went to the transport (resends included), for the observer. */
  private readonly sent = { blocks: 0, bytes: 0, retries: 0 };
  private observation: { ended(info: KvTransferEndInfo): void } | null = null;

  constructor(
    readonly transferId: string,
    readonly requestId: string,
    readonly source: PoolAttachment,
    readonly target: KvTransferTarget,
    private readonly ctx: OutboundContext,
    private readonly onEnd: (t: OutboundTransfer) => void,
  ) {
    this.movedBy = ctx.transport.kind;
  }

  /** Reports this transfer to `observer` (once, right after it was created from a message with `headers`). */
  observe(observer: KvTransferObserver | undefined, headers: KvBusHeaders): void {
    if (observer === undefined || this.observation !== null) return;
    this.observation = observer.started(
      {
        transferId: this.transferId,
        requestId: this.requestId,
        transport: this.ctx.transport.kind,
        blockBytes: this.source.pool.blockBytes,
      },
      headers,
    );
  }

  /** Engine `stage` / `finish`: queues blocks (a block staged again is sent again) and starts sending. */
  stage(msg: KvStage): void {
    if (this.state !== 'sending') throw transferError('aborted', this.transferId, `is ${this.state}`);
    msg.srcBlockIds.forEach((blockId, i) => {
      this.src.set(msg.firstIndex + i, blockId);
      this.pending.add(msg.firstIndex + i);
    });
    if (msg.numBlocks !== undefined) {
      if (msg.decodeState === undefined)
        throw transferError('invalid_request', this.transferId, 'finish without a decode state');
      if (msg.numBlocks !== this.target.blockIds.length)
        throw transferError(
          'invalid_request',
          this.transferId,
          `${msg.numBlocks} blocks for ${this.target.blockIds.length} reserved`,
        );
      this.numBlocks = msg.numBlocks;
      this.decodeState = msg.decodeState;
    }
    this.kick();
  }

  /** Engine `cancel`: stops, aborts at the receiver; resolves when the source pool is read no more. */
  async cancel(reason: string): Promise<void> {
    if (this.state === 'done' || this.state === 'failed') return;
    this.state = 'failed';
    this.abort.abort();
    await this.pump?.catch(() => {});
    await this.abortPeer(reason);
    this.onEnd(this);
    this.observation?.ended({
      outcome: 'failed',
      ...this.sent,
      transport: this.movedBy,
      error: new Error(`cancelled: ${reason}`),
    });
  }

  /** The receiver no longer holds it (renew said so) or the source went away: fail it. */
  fail(error: ServiceError): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.state = 'failed';
    this.abort.abort();
    void (this.pump ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.abortPeer(error.message))
      .then(() => this.end('failed', error));
  }

  private kick(): void {
    this.pump ??= this.run()
      .catch((err) => this.fail(ServiceError.from(err)))
      .finally(() => {
        this.pump = null;
        if (this.state === 'sending' && this.pending.size > 0) this.kick();
      });
  }

  private async run(): Promise<void> {
    if (this.peer === null) await this.reserve();
    while (this.pending.size > 0 && !this.abort.signal.aborted) await this.sendPending();
    if (this.numBlocks !== null && !this.abort.signal.aborted && this.allSent()) await this.commit();
  }

  private async reserve(): Promise<void> {
    const hs = await this.ctx.session(this.source, this.target);
    const peer = { agentId: hs.agentId, epoch: hs.epoch };
    await this.ctx.bus.request(
      subjects.kvXfer(peer.agentId, 'reserve'),
      kvReserveCodec,
      {
        transferId: this.transferId,
        from: this.ctx.self,
        toEpoch: peer.epoch,
        targetInstanceId: this.target.instanceId,
        targetEpoch: this.target.instanceEpoch,
        numBlocks: this.target.blockIds.length,
        blockBytes: this.source.pool.blockBytes,
        leaseMs: this.ctx.leaseMs,
      },
      kvAckCodec,
      { timeoutMs: this.ctx.requestTimeoutMs },
    );
    this.peer = peer;
    this.session = hs;
  }

  private async sendPending(): Promise<void> {
    const indices = [...this.pending].sort((a, b) => a - b);
    this.pending.clear();
    const pool = this.source.pool;
    const items: KvSendItem[] = indices.map((index) => {
      const bytes = new Uint8Array(pool.buffer(), this.src.get(index)! * pool.blockBytes, pool.blockBytes);
      return { index, bytes };
    });
    this.sent.blocks += items.length;
    for (const item of items) this.sent.bytes += item.bytes.byteLength;
    // The checksums are taken off the JS thread while the blocks are on their way (the source
    // blocks do not change while the transfer holds them).
    const checksums = this.checksum(items);
    let result: Awaited<ReturnType<KvTransport['send']>>;
    try {
      result = await this.ctx.transport.send({
        transferId: this.transferId,
        from: this.ctx.self,
        to: this.peer!,
        items,
        maxMessageBytes: this.session!.maxMessageBytes,
        signal: this.abort.signal,
        onRetry: () => {
          this.sent.retries++;
        },
        source: pool,
        targetBlockIds: this.target.blockIds,
        session: this.session!,
      });
    } finally {
      await checksums.catch(() => {});
    }
    await checksums;
    this.movedBy = result?.transport ?? this.ctx.transport.kind;
  }

  /** Sets crcs[index] of every item, one native call per run of blocks consecutive in the pool. */
  private async checksum(items: readonly KvSendItem[]): Promise<void> {
    const pool = this.source.pool;
    const runs: KvSendItem[][] = [];
    for (const item of items) {
      const run = runs[runs.length - 1];
      const last = run?.[run.length - 1];
      if (
        run !== undefined &&
        last !== undefined &&
        last.bytes.byteOffset + pool.blockBytes === item.bytes.byteOffset
      )
        run.push(item);
      else runs.push([item]);
    }
    await Promise.all(
      runs.map(async (run) => {
        const crcs = await blockChecksums(pool, run[0]!.bytes.byteOffset, run.length);
        run.forEach((item, i) => {
          this.crcs[item.index] = crcs[i] as number;
        });
      }),
    );
  }

  private allSent(): boolean {
    for (let i = 0; i < this.numBlocks!; i++) if (this.crcs[i] === undefined) return false;
    return true;
  }

  private async commit(): Promise<void> {
    this.state = 'committing';
    const reply = await this.ctx.bus.request(
      subjects.kvXfer(this.peer!.agentId, 'commit'),
      kvCommitCodec,
      { ...this.header(), blockCrcs: this.crcs.slice(0, this.numBlocks!), decodeState: this.decodeState! },
      kvCommitReplyCodec,
      { timeoutMs: this.ctx.requestTimeoutMs },
    );
    if (reply.status === 'bad_blocks') {
      if (++this.commitAttempts >= this.ctx.maxCommitAttempts)
        throw transferError(
          'internal',
          this.transferId,
          `blocks ${reply.badBlocks.join(', ')} still fail their checksum`,
        );
      this.state = 'sending';
      this.sent.retries++;
      for (const i of reply.badBlocks) this.pending.add(i);
      return;
    }
    await this.ctx.bus.request(
      subjects.kvXfer(this.peer!.agentId, 'release'),
      kvEndCodec,
      { ...this.header(), reason: 'committed' },
      kvAckCodec,
      { timeoutMs: this.ctx.requestTimeoutMs },
    );
    this.end('sent', null);
  }

  private header() {
    return { transferId: this.transferId, from: this.ctx.self, toEpoch: this.peer!.epoch };
  }

  /** Best effort: the receiver also frees what we held when our lease runs out. */
  private async abortPeer(reason: string): Promise<void> {
    const agentId = this.peer?.agentId ?? this.target.agentId;
    try {
      await this.ctx.bus.request(
        subjects.kvXfer(agentId, 'abort'),
        kvEndCodec,
        { transferId: this.transferId, from: this.ctx.self, toEpoch: this.peer?.epoch ?? 0, reason },
        kvAckCodec,
        { timeoutMs: this.ctx.requestTimeoutMs },
      );
    } catch {
      // The receiver is gone or restarted: it holds nothing of ours any more.
    }
  }

  private end(outcome: 'sent' | 'failed', error: ServiceError | null): void {
    if (outcome === 'sent') this.state = 'done';
    this.onEnd(this);
    this.observation?.ended({
      outcome,
      ...this.sent,
      transport: this.movedBy,
      ...(error === null ? {} : { error }),
    });
    this.ctx.notify(this.source.instanceId, {
      transferId: this.transferId,
      requestId: this.requestId,
      outcome,
      ...(error === null ? {} : { error: error.toWire() }),
    });
  }
}
