import { hostname } from 'node:os';
import { type KvAgentOp, kvAgentSubjects, type MessageCodec } from '@pdserve/protocol';
import {
  type KvAck,
  type KvAgentInfo,
  type KvInstanceRef,
  type KvTransferNotice,
  kvAckCodec,
  kvAgentInfoCodec,
  kvAttachCodec,
  kvCancelCodec,
  kvInstanceRefCodec,
  kvOpenCodec,
  kvStageCodec,
  kvTransferNoticeCodec,
} from './agent-messages.js';
import { InboundTransfers } from './inbound-transfers.js';
import type { KvBus, KvBusHeaders, KvBusSubscription } from './kv-bus.js';
import type { KvTransferObserver } from './kv-transfer-observer.js';
import type { KvTransport } from './kv-transport.js';
import { OutboundTransfers } from './outbound-transfers.js';
import { type PoolAttachment, PoolAttachments } from './pool-attachments.js';
import type { KvPeerRef } from './wire-types.js';
import { serveXfer } from './xfer-handlers.js';

export interface KvAgentOptions {
  bus: KvBus;
  agentId: string;
  /** This run's epoch (default: the start time in ms); a restart must use a new one. */
  epoch?: number;
  host?: string;
  transport: KvTransport;
  /** Sender leases at receivers (renewed every third) and the sweep period (default 10 s). */
  leaseMs?: number;
  /** Timeout of control requests to peers (default 5 s). */
  requestTimeoutMs?: number;
  /** Rounds of re-sending blocks a commit found bad (default 3). */
  maxCommitAttempts?: number;
  /** Sees each outbound transfer start and end (telemetry). */
  observer?: KvTransferObserver;
}

/** What an agent holds now (leak checks: all zero once every transfer is over and engines detached). */
export interface KvAgentStats {
  attachments: number;
  inbound: number;
  outbound: number;
}

/**
 * The kv-connector agent, one per host (services/kv-connector runs it; tests run it in process):
 * maps the pools of the engines that attach to it (by shm name) and moves their blocks to other
 * agents through its KvTransport, one transaction per transfer: handshake -> reserve -> data ->
 * commit -> release, or abort. Engines' leases (renewed by their connectors) and senders' leases
 * (renewed by the sending agents) expire to free what a dead peer held; epochs tell a restarted
 * peer from its predecessor. Serves `kvAgentSubjects.op(agentId, *)` for engines and
 * `subjects.kvXfer(agentId, *)` for peers; notifies engines on `kvAgentSubjects.notice`.
 */
export class KvAgent {
  readonly self: KvPeerRef;
  readonly host: string;
  private readonly attachments: PoolAttachments;
  private readonly inbound: InboundTransfers;
  private readonly outbound: OutboundTransfers;
  private readonly subs: KvBusSubscription[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly leaseMs: number;
  private closed = false;

  private constructor(private readonly options: KvAgentOptions) {
    this.self = { agentId: options.agentId, epoch: options.epoch ?? Date.now() };
    this.host = options.host ?? hostname();
    this.leaseMs = options.leaseMs ?? 10_000;
    const notify = (instanceId: string, notice: KvTransferNotice) => this.notify(instanceId, notice);
    this.attachments = new PoolAttachments((a, why) => this.dropped(a, why));
    this.inbound = new InboundTransfers(
      notify,
      this.leaseMs,
      (id) => options.transport.quiesce?.(id) ?? Promise.resolve(),
    );
    this.outbound = new OutboundTransfers({
      bus: options.bus,
      self: this.self,
      transport: options.transport,
      notify,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      maxCommitAttempts: options.maxCommitAttempts ?? 3,
      leaseMs: this.leaseMs,
      ...(options.observer === undefined ? {} : { observer: options.observer }),
    });
  }

  /** Starts serving (subscriptions are live when it resolves). */
  static async start(options: KvAgentOptions): Promise<KvAgent> {
    const agent = new KvAgent(options);
    agent.serveEngineOps();
    agent.subs.push(
      ...serveXfer(options.bus, agent.self, agent.inbound, agent.attachments, options.transport),
    );
    options.transport.listen(agent.self, agent.inbound);
    agent.startTimers();
    await options.bus.flush();
    return agent;
  }

  get info(): KvAgentInfo {
    const t = this.options.transport;
    return { ...this.self, host: this.host, transports: [...(t.kinds ?? [t.kind])] };
  }

  stats(): KvAgentStats {
    return { attachments: this.attachments.size, inbound: this.inbound.size, outbound: this.outbound.size };
  }

  /** Stops serving, cancels outbound transfers and unmaps every pool. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const s of this.subs) s.unsubscribe();
    this.options.transport.close();
    await this.outbound.closeAll('the agent is shutting down');
    this.attachments.closeAll('the agent is shutting down');
  }

  private serveEngineOps(): void {
    const a = this.attachments;
    this.subs.push(
      this.serve('attach', kvAttachCodec, kvAgentInfoCodec, (m) => {
        a.attach(m, Date.now());
        return this.info;
      }),
      this.serve('info', kvInstanceRefCodec, kvAgentInfoCodec, () => ({ ...this.info, stats: this.stats() })),
      this.serve('detach', kvInstanceRefCodec, kvAckCodec, (m) =>
        ack(a.detach(m.instanceId, m.instanceEpoch)),
      ),
      this.serve('renew', kvInstanceRefCodec, kvAckCodec, (m) =>
        ack(a.renew(m.instanceId, m.instanceEpoch, Date.now())),
      ),
      this.serve('open', kvOpenCodec, kvAckCodec, (m) => {
        this.inbound.open(m, this.source(m), Date.now());
        return ack(true);
      }),
      this.serve('stage', kvStageCodec, kvAckCodec, (m, headers) => {
        this.outbound.stage(m, this.source(m), headers);
        return ack(true);
      }),
      this.serve('finish', kvStageCodec, kvAckCodec, (m, headers) => {
        this.outbound.stage(m, this.source(m), headers);
        return ack(true);
      }),
      this.serve('cancel', kvCancelCodec, kvAckCodec, async (m) =>
        ack(await this.cancel(m.transferId, m, m.reason)),
      ),
    );
  }

  private serve<Req, Res>(
    op: KvAgentOp,
    reqCodec: MessageCodec<Req>,
    resCodec: MessageCodec<Res>,
    handler: (m: Req, headers: KvBusHeaders) => Res | Promise<Res>,
  ): KvBusSubscription {
    return this.options.bus.serve(kvAgentSubjects.op(this.self.agentId, op), reqCodec, resCodec, handler);
  }

  private source(ref: KvInstanceRef): PoolAttachment {
    return this.attachments.require(ref.instanceId, ref.instanceEpoch);
  }

  private async cancel(transferId: string, ref: KvInstanceRef, reason: string): Promise<boolean> {
    const a = this.attachments.get(ref.instanceId, ref.instanceEpoch);
    if (a === undefined) return false;
    if (this.inbound.cancel(transferId, a)) {
      await this.options.transport.quiesce?.(transferId); // nothing lands in its blocks any more
      return true;
    }
    return this.outbound.cancel(transferId, a, reason);
  }

  private dropped(a: PoolAttachment, why: string): void {
    this.inbound.dropInstance(a);
    void this.outbound.dropInstance(a, why);
    this.options.transport.forget?.(a.pool);
  }

  private notify(instanceId: string, notice: KvTransferNotice): void {
    if (this.closed) return;
    this.options.bus.publish(
      kvAgentSubjects.notice(this.self.agentId, instanceId),
      kvTransferNoticeCodec,
      notice,
    );
  }

  private startTimers(): void {
    const sweep = setInterval(
      () => {
        const now = Date.now();
        this.attachments.sweep(now);
        this.inbound.sweep(now);
      },
      Math.max(5, Math.floor(this.leaseMs / 4)),
    );
    const renew = setInterval(() => void this.outbound.renewAll(), Math.max(5, Math.floor(this.leaseMs / 3)));
    for (const t of [sweep, renew]) {
      t.unref();
      this.timers.push(t);
    }
  }
}

function ack(known: boolean): KvAck {
  return { known };
}
