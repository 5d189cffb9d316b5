import type {
  KvCacheRegion,
  KvConnectorMeta,
  KvConnectorWorker,
  KvFinished,
  KvHandshakeMetadata,
} from '@pdserve/engine';
import { ServiceError } from '@pdserve/protocol';
import type { AgentLink } from './agent-link.js';
import type { KvTransferNotice } from './agent-messages.js';
import type { ConnectorState, SendRecord } from './connector-state.js';
import { transferError } from './kv-connector-errors.js';

/** What the worker half knows of its instance (the handshake facts other than the pool's). */
export interface WorkerIdentity {
  instanceId: string;
  epoch: number;
  agentId: string;
  modelFingerprint: string;
  hashSeed: string;
}

/**
 * The worker half of the agent-backed connector: attaches the engine's pool to the agent, hands
 * staged blocks to it after each forward, turns the agent's notices into `getFinished` results,
 * load errors and events, and cancels everything on shutdown. The agent pushes the KV into the
 * decode pool, so the load hooks have nothing to wait for.
 */
export class AgentConnectorWorker implements KvConnectorWorker {
  private attached: Promise<void> | null = null;

  constructor(
    private readonly state: ConnectorState,
    private readonly link: AgentLink,
    private readonly id: WorkerIdentity,
  ) {}

  /** Resolves when the agent mapped the pool; rejects (ServiceError) when it could not. */
  ready(): Promise<void> {
    if (this.attached === null)
      return Promise.reject(new ServiceError('internal', 'registerKvCaches was not called'));
    return this.attached;
  }

  registerKvCaches(region: KvCacheRegion): void {
    if (this.state.region !== null) throw new ServiceError('internal', 'a KV pool is already registered');
    this.state.region = region;
    this.attached = this.link.attach(region, this.getHandshakeMetadata()).then(() => undefined);
    this.attached.catch(() => {});
  }

  startLoadKv(_meta: KvConnectorMeta): void {
    // The agent writes arriving blocks into the pool itself; nothing to start here.
  }

  waitForLayerLoad(): Promise<void> {
    // Requests are scheduled only once all their KV is committed: nothing is in flight.
    return Promise.resolve();
  }

  saveKvLayer(meta: KvConnectorMeta): void {
    for (const save of meta.saves) {
      const rec = this.state.sends.get(save.requestId);
      if (rec === undefined || rec.state !== 'active') continue;
      rec.everStaged = true;
      const msg = {
        transferId: rec.transferId,
        requestId: rec.requestId,
        target: rec.target,
        firstIndex: save.firstIndex,
        srcBlockIds: save.blockIds,
      };
      this.link
        .stage('stage', msg)
        .catch((err) => this.stageFailed(rec, ServiceError.from(err, 'unavailable')));
    }
  }

  waitForSave(): Promise<void> {
    // The agent reads staged blocks later; the blocks stay held until the transfer is over.
    return Promise.resolve();
  }

  getFinished(): KvFinished {
    const finishedSending = this.state.finishedSending;
    const finishedRecving = this.state.finishedRecving;
    this.state.finishedSending = new Set();
    this.state.finishedRecving = new Map();
    return { finishedSending, finishedRecving };
  }

  getBlockIdsWithLoadErrors(): Set<number> {
    const out = this.state.loadErrors;
    this.state.loadErrors = new Set();
    return out;
  }

  getHandshakeMetadata(): KvHandshakeMetadata {
    const region = this.state.region;
    if (region === null) throw new ServiceError('internal', 'registerKvCaches was not called');
    const l = region.layout;
    return {
      ...this.id,
      blockSize: l.blockSize,
      kvLayout: {
        dtype: l.dtype,
        numLayers: l.layers,
        numKvHeads: l.kvHeads,
        headDim: l.headDim,
        blockBytes: region.blockBytes,
        order: 'block-major',
      },
    };
  }

  async shutdown(): Promise<void> {
    const recvs = [...this.state.recvs.values()];
    const sends = [...this.state.sends.values()];
    const why = 'the instance is shutting down';
    await Promise.all(
      [...recvs, ...sends].map((r) => this.link.cancel(r.transferId, why).catch(() => false)),
    );
    for (const r of recvs) this.state.failRecv(r, new ServiceError('unavailable', why));
    for (const s of sends) this.state.endSend(s, new ServiceError('unavailable', why));
    await this.link.close();
  }

  /** Agent -> engine notices (AgentLink). */
  onNotice(notice: KvTransferNotice): void {
    const error = notice.error ? ServiceError.fromWire(notice.error) : null;
    const recv = this.state.recvByTransfer(notice.transferId);
    if (recv !== undefined && recv.state === 'open') {
      if (notice.outcome === 'committed' && notice.decodeState !== undefined) {
        this.state.dropRecv(recv);
        this.state.finishedRecving.set(recv.requestId, notice.decodeState);
        const { requestId, transferId } = recv;
        this.state.events.push({
          type: 'recvCommitted',
          requestId,
          transferId,
          decodeState: notice.decodeState,
        });
        this.state.progress();
      } else if (notice.outcome === 'failed') {
        this.state.failRecv(recv, error ?? transferError('internal', notice.transferId, 'failed'));
      }
      return;
    }
    const send = this.state.sendByTransfer(notice.transferId);
    if (send === undefined) return;
    if (notice.outcome === 'sent') this.sendOver(send, null);
    else if (notice.outcome === 'failed')
      this.sendOver(send, error ?? transferError('internal', notice.transferId, 'failed'));
  }

  /** The agent restarted or vanished: whatever it held is gone, and it reads or writes nothing of ours. */
  onAgentLost(error: ServiceError): void {
    for (const r of [...this.state.recvs.values()])
      if (r.state !== 'cancelling') this.state.failRecv(r, error);
    for (const s of [...this.state.sends.values()]) if (s.state !== 'cancelling') this.sendOver(s, error);
  }

  private sendOver(rec: SendRecord, error: ServiceError | null): void {
    if (rec.state === 'finishing' || error === null) {
      this.state.endSend(rec, error);
      return;
    }
    if (rec.state !== 'active') return;
    // The prompt still runs: its blocks are freed as usual when it finishes.
    rec.state = 'failed';
    const { requestId, transferId } = rec;
    this.state.events.push({ type: 'sendFinished', requestId, transferId, ok: false, error });
    this.state.progress();
  }

  private stageFailed(rec: SendRecord, error: ServiceError): void {
    if (rec.state !== 'active') return;
    // The agent may hold part of it: the blocks wait until it surely stopped reading.
    rec.state = 'failed';
    rec.cancelling = this.link
      .cancel(rec.transferId, error.message)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        rec.cancelling = null;
      });
    const { requestId, transferId } = rec;
    this.state.events.push({ type: 'sendFinished', requestId, transferId, ok: false, error });
    this.state.progress();
  }
}
