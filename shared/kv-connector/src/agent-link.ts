import type { KvCacheRegion, KvHandshakeMetadata } from '@pdserve/engine';
import { type KvAgentOp, kvAgentSubjects, type MessageCodec, ServiceError } from '@pdserve/protocol';
import {
  type KvAgentInfo,
  type KvOpen,
  type KvStage,
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
import type { KvBus, KvBusHeaders, KvBusSubscription } from './kv-bus.js';
import type { KvPoolLayoutWire } from './wire-types.js';

export interface AgentLinkOptions {
  bus: KvBus;
  agentId: string;
  instanceId: string;
  instanceEpoch: number;
  /** The attachment lease at the agent; renewed every third of it. */
  leaseMs: number;
  requestTimeoutMs: number;
  onNotice: (notice: KvTransferNotice) => void;
  /** The agent lost our attachment (it restarted) or was unreachable for a whole lease. */
  onAgentLost: (error: ServiceError) => void;
  /** The trace context to send with a request's `stage` / `finish` (its prefill span), if any. */
  traceHeaders?: (requestId: string) => KvBusHeaders | undefined;
}

type WithoutRef<T> = Omit<T, 'instanceId' | 'instanceEpoch'>;

/**
 * An engine instance's line to the agent on its host: attaches its pool (and keeps the lease
 * alive), sends open / stage / finish / cancel, and receives the agent's notices. Owned by the
 * AgentKvConnector; every request rejects with ServiceError.
 */
export class AgentLink {
  private readonly ref: { instanceId: string; instanceEpoch: number };
  private sub: KvBusSubscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attachMsg: Parameters<typeof kvAttachCodec.encode>[0] | null = null;
  private lastRenewedAt = 0;
  private agentInfo: KvAgentInfo | null = null;

  constructor(private readonly options: AgentLinkOptions) {
    this.ref = { instanceId: options.instanceId, instanceEpoch: options.instanceEpoch };
  }

  /** The agent, once attached. */
  get agent(): KvAgentInfo | null {
    return this.agentInfo;
  }

  /** Subscribes to notices, maps the pool at the agent and starts renewing the lease. */
  async attach(region: KvCacheRegion, handshake: KvHandshakeMetadata): Promise<KvAgentInfo> {
    const o = this.options;
    this.sub ??= o.bus.subscribe(
      kvAgentSubjects.notice(o.agentId, o.instanceId),
      kvTransferNoticeCodec,
      o.onNotice,
    );
    await o.bus.flush();
    this.attachMsg = {
      ...this.ref,
      poolName: region.name,
      layout: region.layout as KvPoolLayoutWire,
      blockBytes: region.blockBytes,
      handshake,
      leaseMs: o.leaseMs,
    };
    this.agentInfo = await this.call('attach', kvAttachCodec, this.attachMsg, kvAgentInfoCodec);
    this.lastRenewedAt = Date.now();
    this.timer ??= setInterval(() => void this.renew(), Math.max(5, Math.floor(o.leaseMs / 3)));
    this.timer.unref();
    return this.agentInfo;
  }

  open(msg: WithoutRef<KvOpen>): Promise<unknown> {
    return this.call('open', kvOpenCodec, { ...this.ref, ...msg }, kvAckCodec);
  }

  stage(op: 'stage' | 'finish', msg: WithoutRef<KvStage>): Promise<unknown> {
    const headers = this.options.traceHeaders?.(msg.requestId);
    return this.call(op, kvStageCodec, { ...this.ref, ...msg }, kvAckCodec, headers);
  }

  /** Resolves once the agent touches the transfer's blocks no more (true if it knew the transfer). */
  async cancel(transferId: string, reason: string): Promise<boolean> {
    const reply = await this.call('cancel', kvCancelCodec, { ...this.ref, transferId, reason }, kvAckCodec);
    return reply.known;
  }

  /** Stops renewing and detaches (best effort); idempotent. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sub?.unsubscribe();
    this.sub = null;
    if (this.attachMsg === null) return;
    this.attachMsg = null;
    await this.call('detach', kvInstanceRefCodec, this.ref, kvAckCodec).catch(() => {});
  }

  private async renew(): Promise<void> {
    if (this.attachMsg === null) return;
    try {
      const { known } = await this.call('renew', kvInstanceRefCodec, this.ref, kvAckCodec);
      if (known) {
        this.lastRenewedAt = Date.now();
        return;
      }
      this.options.onAgentLost(new ServiceError('unavailable', `agent ${this.options.agentId} restarted`));
      await this.reattach();
    } catch (err) {
      if (Date.now() - this.lastRenewedAt < this.options.leaseMs) return;
      this.options.onAgentLost(ServiceError.from(err, 'unavailable'));
      await this.reattach().catch(() => {});
    }
  }

  private async reattach(): Promise<void> {
    if (this.attachMsg === null) return;
    this.agentInfo = await this.call('attach', kvAttachCodec, this.attachMsg, kvAgentInfoCodec);
    this.lastRenewedAt = Date.now();
  }

  private call<Req, Res>(
    op: KvAgentOp,
    req: MessageCodec<Req>,
    msg: Req,
    res: MessageCodec<Res>,
    headers?: KvBusHeaders,
  ): Promise<Res> {
    const subject = kvAgentSubjects.op(this.options.agentId, op);
    const timeoutMs = this.options.requestTimeoutMs;
    return this.options.bus.request(subject, req, msg, res, headers ? { timeoutMs, headers } : { timeoutMs });
  }
}
