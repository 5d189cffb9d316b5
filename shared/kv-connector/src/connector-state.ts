import type { KvCacheRegion, KvConnectorEvent, RequestDecodeState } from '@pdserve/engine';
import type { KvTransferParams, ServiceError } from '@pdserve/protocol';
import type { KvTransferTarget } from './wire-types.js';

/** A decode-side transfer: blocks reserved for a request, the agent writes them. */
export interface RecvRecord {
  requestId: string;
  transferId: string;
  blockIds: number[];
  params: KvTransferParams;
  /** opening: `open` sent; open: the agent holds it; cancelling: the engine finished the request. */
  state: 'opening' | 'open' | 'cancelling';
  opened: Promise<KvTransferParams>;
  settleOpen: (error: ServiceError | null) => void;
  /** The `open` request itself, settled (either way) once the agent answered or it failed. */
  openSent: Promise<void>;
  /** Listed in a step's meta.loads already. */
  listed: boolean;
  timer: NodeJS.Timeout | null;
}

/** A prefill-side transfer: the request's blocks go to `target` as they complete. */
export interface SendRecord {
  requestId: string;
  transferId: string;
  target: KvTransferTarget;
  params: KvTransferParams;
  /** Blocks [0, stagedUpTo) of the request's block table were handed to the agent. */
  stagedUpTo: number;
  everStaged: boolean;
  /** active: the prompt runs; finishing: finish sent; failed: the agent gave up (nothing reads the blocks). */
  state: 'active' | 'finishing' | 'cancelling' | 'failed';
  /** A failed send's cancel at the agent, while in flight (the blocks wait for it). */
  cancelling: Promise<void> | null;
  timer: NodeJS.Timeout | null;
}

/**
 * What both halves of an AgentKvConnector share: the transfers by request id, the results the
 * engine polls (getFinished, load errors, events) and the progress listeners.
 */
export class ConnectorState {
  readonly recvs = new Map<string, RecvRecord>();
  readonly sends = new Map<string, SendRecord>();
  finishedSending = new Set<string>();
  finishedRecving = new Map<string, RequestDecodeState | null>();
  loadErrors = new Set<number>();
  events: KvConnectorEvent[] = [];
  region: KvCacheRegion | null = null;
  private readonly listeners: (() => void)[] = [];

  onProgress(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Tells the engine to poll (on a later turn, never inside the caller's stack). */
  progress(): void {
    queueMicrotask(() => {
      for (const l of this.listeners) l();
    });
  }

  /** Decode side: the receive failed and the agent writes no more; the engine aborts the request. */
  failRecv(rec: RecvRecord, error: ServiceError): void {
    this.dropRecv(rec);
    for (const b of rec.blockIds) this.loadErrors.add(b);
    rec.settleOpen(error);
    this.events.push({ type: 'recvFailed', requestId: rec.requestId, transferId: rec.transferId, error });
    this.progress();
  }

  /** Prefill side: the send is over; delayed blocks (if any) may be freed. */
  endSend(rec: SendRecord, error: ServiceError | null): void {
    const { requestId, transferId } = rec;
    this.events.push({ type: 'sendFinished', requestId, transferId, ok: error === null, error });
    this.releaseSend(rec);
  }

  /** Prefill side: nothing reads the request's blocks any more (no event: one was sent already). */
  releaseSend(rec: SendRecord): void {
    this.dropSend(rec);
    this.finishedSending.add(rec.requestId);
    this.progress();
  }

  dropRecv(rec: RecvRecord): void {
    if (rec.timer !== null) clearTimeout(rec.timer);
    if (this.recvs.get(rec.requestId) === rec) this.recvs.delete(rec.requestId);
  }

  dropSend(rec: SendRecord): void {
    if (rec.timer !== null) clearTimeout(rec.timer);
    if (this.sends.get(rec.requestId) === rec) this.sends.delete(rec.requestId);
  }

  recvByTransfer(transferId: string): RecvRecord | undefined {
    for (const r of this.recvs.values()) if (r.transferId === transferId) return r;
    return undefined;
  }

  sendByTransfer(transferId: string): SendRecord | undefined {
    for (const s of this.sends.values()) if (s.transferId === transferId) return s;
    return undefined;
  }
}
