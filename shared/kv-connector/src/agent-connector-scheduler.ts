import { randomUUID } from 'node:crypto';
import {
  type KvConnectorEvent,
  type KvConnectorMatch,
  type KvConnectorMeta,
  type KvConnectorScheduler,
  type KvRequestFinished,
  type KvSaveSpec,
  type Request,
  RequestStatus,
  type SchedulerOutput,
} from '@pdserve/engine';
import { type KvTransferParams, ServiceError } from '@pdserve/protocol';
import type { AgentLink } from './agent-link.js';
import type { ConnectorState, RecvRecord, SendRecord } from './connector-state.js';
import { transferError } from './kv-connector-errors.js';
import { remoteDecodeTarget } from './remote-decode-target.js';

/** The facts of this instance the scheduler half puts into the params it hands out. */
export interface ConnectorIdentity {
  instanceId: string;
  epoch: number;
  agentId: string;
  blockSize: () => number;
  /** Decode side: how long to wait for the KV after opening (ms). */
  recvTimeoutMs: number;
  /** Prefill side: how long to wait for the outcome after finishing (ms). */
  sendTimeoutMs: number;
}

const noFree: KvRequestFinished = { delayFree: false, kvTransferParams: null };

/**
 * The scheduler half of the agent-backed connector. Decode side: opens a transfer at the agent
 * for a request's reserved blocks and cancels it when the request ends first. Prefill side:
 * stages each step's completed prompt blocks (through `buildConnectorMeta` -> the worker's
 * `saveKvLayer`) and, when the first token is sampled, hands the rest and the decode state to
 * the agent, delaying the free until the agent reports the outcome.
 */
export class AgentConnectorScheduler implements KvConnectorScheduler {
  constructor(
    private readonly state: ConnectorState,
    private readonly link: AgentLink,
    private readonly id: ConnectorIdentity,
  ) {}

  getNumNewMatchedTokens(request: Request, numComputedTokens: number): KvConnectorMatch {
    const p = request.kvTransferParams;
    if (p?.doRemoteDecode) remoteDecodeTarget(request, this.id.blockSize());
    if (!p?.doRemotePrefill) return { numExternalTokens: 0, loadAsync: false };
    return { numExternalTokens: request.numPromptTokens - numComputedTokens, loadAsync: true };
  }

  updateStateAfterAlloc(request: Request, blockIds: readonly number[], numExternalTokens: number): void {
    const transferId = randomUUID();
    const params: KvTransferParams = {
      remoteInstanceId: this.id.instanceId,
      remoteAgentId: this.id.agentId,
      remoteEpoch: this.id.epoch,
      remoteBlockIds: [...blockIds],
      transferId,
      numTokens: numExternalTokens,
    };
    request.kvTransferParams = { doRemotePrefill: true, ...params };
    let settleOpen!: (error: ServiceError | null) => void;
    const opened = new Promise<KvTransferParams>((resolve, reject) => {
      settleOpen = (error) => (error === null ? resolve(params) : reject(error));
    });
    opened.catch(() => {});
    const rec: RecvRecord = {
      requestId: request.requestId,
      transferId,
      blockIds: [...blockIds],
      params,
      state: 'opening',
      opened,
      settleOpen,
      openSent: Promise.resolve(),
      listed: false,
      timer: null,
    };
    this.state.recvs.set(request.requestId, rec);
    const open = {
      transferId,
      requestId: request.requestId,
      blockIds: rec.blockIds,
      numTokens: numExternalTokens,
      ttlMs: this.id.recvTimeoutMs,
    };
    rec.openSent = this.link.open(open).then(
      () => this.opened(rec),
      (err) => this.openFailed(rec, ServiceError.from(err, 'unavailable')),
    );
  }

  reservation(requestId: string): Promise<KvTransferParams> {
    const rec = this.state.recvs.get(requestId);
    if (rec === undefined)
      return Promise.reject(new ServiceError('not_found', `request ${requestId} has no open KV transfer`));
    return rec.opened;
  }

  buildConnectorMeta(output: SchedulerOutput): KvConnectorMeta {
    const loads: KvConnectorMeta['loads'] = [];
    for (const rec of this.state.recvs.values()) {
      if (rec.state !== 'open' || rec.listed) continue;
      rec.listed = true;
      loads.push({ requestId: rec.requestId, blockIds: rec.blockIds });
    }
    const saves: KvSaveSpec[] = [];
    for (const s of output.scheduledRequests) {
      if (!s.request.kvTransferParams?.doRemoteDecode) continue;
      const rec = this.sendRecord(s.request);
      if (rec.state !== 'active') continue;
      // Scheduled anew after a preemption: its blocks changed, stage them all again.
      if (s.isNew) rec.stagedUpTo = 0;
      const end = Math.min(s.numComputedTokens + s.numScheduledTokens, s.request.numPromptTokens);
      const full = Math.floor(end / this.id.blockSize());
      if (full <= rec.stagedUpTo) continue;
      saves.push({
        requestId: rec.requestId,
        firstIndex: rec.stagedUpTo,
        blockIds: s.blockIds.slice(rec.stagedUpTo, full),
      });
      rec.stagedUpTo = full;
    }
    return { loads, saves };
  }

  requestFinished(request: Request, blockIds: readonly number[]): KvRequestFinished {
    const recv = this.state.recvs.get(request.requestId);
    if (recv !== undefined) return this.recvFinished(recv);
    const send = this.state.sends.get(request.requestId);
    if (send === undefined) return noFree;
    if (send.state === 'failed') return this.failedSendFinished(send);
    if (request.status === RequestStatus.FINISHED_ABORTED || request.numOutputTokens === 0)
      return this.cancelSend(send);
    return this.finishSend(send, request, blockIds);
  }

  takeEvents(): KvConnectorEvent[] {
    const out = this.state.events;
    this.state.events = [];
    return out;
  }

  /** The send record of a prefill-side request (created when it is first scheduled). */
  sendRecord(request: Request): SendRecord {
    let rec = this.state.sends.get(request.requestId);
    if (rec === undefined) {
      const target = remoteDecodeTarget(request, this.id.blockSize());
      const params = request.kvTransferParams!;
      rec = {
        requestId: request.requestId,
        transferId: params.transferId!,
        target,
        params,
        stagedUpTo: 0,
        everStaged: false,
        state: 'active',
        cancelling: null,
        timer: null,
      };
      this.state.sends.set(request.requestId, rec);
    }
    return rec;
  }

  private opened(rec: RecvRecord): void {
    if (rec.state !== 'opening') return;
    rec.state = 'open';
    rec.settleOpen(null);
    rec.timer = setTimeout(() => void this.recvTimedOut(rec), this.id.recvTimeoutMs);
    rec.timer.unref();
    this.state.events.push({ type: 'recvOpened', requestId: rec.requestId, kvTransferParams: rec.params });
    this.state.progress();
  }

  private openFailed(rec: RecvRecord, error: ServiceError): void {
    if (rec.state === 'opening') this.state.failRecv(rec, error);
  }

  private async recvTimedOut(rec: RecvRecord): Promise<void> {
    if (rec.state !== 'open') return;
    rec.state = 'cancelling';
    await this.link.cancel(rec.transferId, 'timed out').catch(() => false);
    this.state.failRecv(
      rec,
      transferError('timeout', rec.transferId, `no KV within ${this.id.recvTimeoutMs} ms`),
    );
  }

  private recvFinished(rec: RecvRecord): KvRequestFinished {
    if (rec.state === 'cancelling') return { delayFree: true, kvTransferParams: rec.params };
    rec.state = 'cancelling';
    rec.settleOpen(new ServiceError('aborted', `request ${rec.requestId} ended before its KV arrived`));
    // Cancel once the open settled, whatever its answer: the agent may hold it even if the reply was lost.
    void rec.openSent
      .then(() => this.link.cancel(rec.transferId, 'the request ended'))
      .catch(() => false)
      .then(() => {
        this.state.dropRecv(rec);
        this.state.finishedRecving.set(rec.requestId, null);
        this.state.progress();
      });
    return { delayFree: true, kvTransferParams: rec.params };
  }

  private failedSendFinished(rec: SendRecord): KvRequestFinished {
    if (rec.cancelling === null) {
      this.state.dropSend(rec);
      return noFree;
    }
    void rec.cancelling.then(() => this.state.releaseSend(rec));
    return { delayFree: true, kvTransferParams: rec.params };
  }

  private cancelSend(rec: SendRecord): KvRequestFinished {
    if (!rec.everStaged) {
      this.state.dropSend(rec);
      return noFree;
    }
    rec.state = 'cancelling';
    void this.link
      .cancel(rec.transferId, 'the request was aborted')
      .catch(() => false)
      .then(() =>
        this.state.endSend(rec, transferError('aborted', rec.transferId, 'the request was aborted')),
      );
    return { delayFree: true, kvTransferParams: rec.params };
  }

  private finishSend(rec: SendRecord, request: Request, blockIds: readonly number[]): KvRequestFinished {
    const numBlocks = rec.target.blockIds.length;
    const decodeState = request.toDecodeState();
    const msg = {
      transferId: rec.transferId,
      requestId: rec.requestId,
      target: rec.target,
      firstIndex: rec.stagedUpTo,
      srcBlockIds: blockIds.slice(rec.stagedUpTo, numBlocks),
      numBlocks,
      decodeState,
    };
    rec.state = 'finishing';
    rec.everStaged = true;
    this.state.events.push({
      type: 'prefillDone',
      requestId: rec.requestId,
      transferId: rec.transferId,
      decodeState,
    });
    this.link
      .stage('finish', msg)
      .catch((err) => this.abandonSend(rec, ServiceError.from(err, 'unavailable')));
    rec.timer = setTimeout(
      () =>
        this.abandonSend(
          rec,
          transferError('timeout', rec.transferId, `not committed within ${this.id.sendTimeoutMs} ms`),
        ),
      this.id.sendTimeoutMs,
    );
    rec.timer.unref();
    this.state.progress();
    return { delayFree: true, kvTransferParams: rec.params };
  }

  /** The send cannot complete: make sure the agent stopped reading, then end it. */
  private abandonSend(rec: SendRecord, error: ServiceError): void {
    if (rec.state !== 'finishing') return;
    rec.state = 'cancelling';
    void this.link
      .cancel(rec.transferId, error.message)
      .catch(() => false)
      .then(() => this.state.endSend(rec, error));
  }
}
