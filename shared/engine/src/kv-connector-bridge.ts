import type { KvTransferParams } from '@pdserve/protocol';
import { checkStop } from './check-stop.js';
import type { EngineCoreOutput } from './engine-core-output.js';
import { EngineError, InvalidRequestError } from './errors.js';
import type { KvCacheManager } from './kv-cache-manager.js';
import type { KvCacheRegion, KvConnector, KvConnectorEvent, KvConnectorMeta } from './kv-connector.js';
import { KvCacheFullError } from './kv-connector-errors.js';
import type { ModelExecutor } from './model-executor.js';
import type { Request, RequestDecodeState } from './request.js';
import { type FinishedStatus, isFinishedStatus, RequestStatus } from './request-status.js';
import type { Scheduler } from './scheduler.js';
import type { SchedulerOutput } from './scheduler-output.js';

/**
 * EngineCore's side of a KV connector (one per EngineCore that has a connector): reserves blocks
 * for KV that arrives from elsewhere, holds finished requests' blocks while a transfer still uses
 * them, applies finished transfers (`poll`), queues the outputs that transfers produce, and wakes
 * a step that waits for remote KV. Runs on the engine's JS thread; mutates the Scheduler's
 * requests and the KvCacheManager's allocations.
 */
export class KvConnectorBridge {
  /** Finished requests whose blocks a transfer still reads or writes, by request id. */
  private readonly delayed = new Map<string, Request>();
  private outputs: EngineCoreOutput[] = [];
  private wake: (() => void) | null = null;
  /** Forwarded connector events (EngineCore.onKvConnectorEvent). */
  onEvent: ((event: KvConnectorEvent) => void) | null = null;

  constructor(
    readonly connector: KvConnector,
    private readonly scheduler: Scheduler,
    private readonly kv: KvCacheManager,
    private readonly limits: { maxModelLen: number; vocabSize: number },
  ) {
    scheduler.onRequestFinished = (request) => this.requestFinished(request);
    connector.onProgress(() => {
      this.poll();
      this.wakeUp();
    });
  }

  /** True while the blocks of a finished request with this id are held for a transfer. */
  isHolding(requestId: string): boolean {
    return this.delayed.has(requestId);
  }

  /** Finished requests whose blocks are still held for transfers. */
  get numDelayed(): number {
    return this.delayed.size;
  }

  /**
   * Decode side: queues `request` (kvTransferParams.doRemotePrefill) in WAITING_FOR_REMOTE_KVS with
   * blocks for its whole prompt, and lets the connector open the transfer. Throws
   * KvCacheFullError when the pool cannot hold the prompt now.
   */
  addRemotePrefill(request: Request): void {
    const { numExternalTokens } = this.connector.scheduler.getNumNewMatchedTokens(request, 0);
    if (numExternalTokens <= 0 || numExternalTokens > request.numPromptTokens) {
      throw new InvalidRequestError(request.requestId, 'the KV connector loads no prompt tokens for it');
    }
    this.scheduler.checkFits(request);
    const blocks = this.kv.allocateExternal(request, numExternalTokens);
    if (blocks === null) {
      throw new KvCacheFullError(
        request.requestId,
        `no room for the prompt's ${Math.ceil(numExternalTokens / this.kv.blockSize)} KV blocks now`,
      );
    }
    try {
      this.scheduler.addRequest(request, RequestStatus.WAITING_FOR_REMOTE_KVS);
    } catch (error) {
      this.kv.free(request);
      throw error;
    }
    const blockIds = blocks.map((b) => b.blockId);
    this.connector.scheduler.updateStateAfterAlloc(request, blockIds, numExternalTokens);
  }

  /** Prefill side: queues `request` (kvTransferParams.doRemoteDecode) once the connector accepted its params. */
  addRemoteDecode(request: Request): void {
    this.connector.scheduler.getNumNewMatchedTokens(request, 0);
    this.scheduler.addRequest(request);
  }

  /** EngineCore.step after schedule(): the step's connector metadata; starts its loads. */
  beforeForward(output: SchedulerOutput): KvConnectorMeta {
    const meta = this.connector.scheduler.buildConnectorMeta(output);
    this.connector.worker.startLoadKv(meta);
    return meta;
  }

  /** EngineCore.step after the forward wrote the step's KV: hands completed blocks to transfers. */
  afterForward(meta: KvConnectorMeta): Promise<void> {
    if (meta.saves.length === 0) return Promise.resolve();
    this.connector.worker.saveKvLayer(meta);
    return this.connector.worker.waitForSave();
  }

  /** Outputs produced outside a step (KV loaded, load failed), taken by the next step. */
  takeOutputs(): EngineCoreOutput[] {
    const out = this.outputs;
    this.outputs = [];
    return out;
  }

  get hasOutputs(): boolean {
    return this.outputs.length > 0;
  }

  /** A step that found nothing to run should wait for progress: no outputs to report, and requests wait for remote KV. */
  shouldWait(): boolean {
    return !this.hasOutputs && this.hasRemoteWaiters();
  }

  /** True when some request waits for remote KV. */
  hasRemoteWaiters(): boolean {
    for (const r of this.scheduler.waiting)
      if (r.status === RequestStatus.WAITING_FOR_REMOTE_KVS) return true;
    return false;
  }

  /** Resolves at the next progress, new request or abort (`wakeUp`). */
  waitForProgress(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Applies what the connector finished: frees held blocks, loads arrived KV, fails broken loads. */
  poll(): void {
    const worker = this.connector.worker;
    const failed = worker.getBlockIdsWithLoadErrors();
    if (failed.size > 0) this.failLoads(failed);
    const { finishedSending, finishedRecving } = worker.getFinished();
    for (const id of finishedSending) this.release(id);
    for (const [id, state] of finishedRecving) {
      if (this.delayed.has(id)) this.release(id);
      else if (state !== null) this.load(id, state);
    }
    for (const event of this.connector.scheduler.takeEvents()) this.onEvent?.(event);
  }

  private requestFinished(request: Request): boolean {
    const blockIds = this.kv.getBlockIds(request.requestId);
    const { delayFree } = this.connector.scheduler.requestFinished(request, blockIds);
    if (delayFree) this.delayed.set(request.requestId, request);
    return delayFree;
  }

  private release(requestId: string): void {
    const request = this.delayed.get(requestId);
    if (request === undefined) return;
    this.delayed.delete(requestId);
    this.kv.free(request);
  }

  /** The prompt's KV is in our blocks: restore the decode state and let the scheduler run it. */
  private load(requestId: string, state: RequestDecodeState): void {
    const request = this.scheduler.requests.get(requestId);
    if (request?.status !== RequestStatus.WAITING_FOR_REMOTE_KVS) return;
    const vocab = this.limits.vocabSize;
    const vocabOk = state.outputTokenIds.every((id) => Number.isInteger(id) && id >= 0 && id < vocab);
    if (state.outputTokenIds.length === 0 || !vocabOk) {
      this.finish(request, RequestStatus.FINISHED_ABORTED);
      return;
    }
    request.restoreDecodeState(state);
    request.pendingFork = false;
    request.promptLogprobsUpTo = request.numPromptTokens;
    request.numCachedTokens = 0;
    request.numComputedTokens = request.numPromptTokens;
    this.kv.cacheExternal(request, request.numPromptTokens);
    request.status = RequestStatus.WAITING;
    // The restored tokens are outputs as a colocated run's first step reports them.
    const stopped = checkStop(request, this.limits.maxModelLen);
    const status = request.status;
    if (stopped && isFinishedStatus(status)) {
      request.status = RequestStatus.WAITING;
      this.scheduler.finishRequests([requestId], status);
    }
    this.outputs.push(this.outputOf(request, [...state.outputTokenIds]));
  }

  /** Aborts the waiting requests that hold blocks whose load failed. */
  private failLoads(blockIds: ReadonlySet<number>): void {
    for (const request of [...this.scheduler.requests.values()]) {
      if (request.status !== RequestStatus.WAITING_FOR_REMOTE_KVS) continue;
      if (this.kv.getBlockIds(request.requestId).some((b) => blockIds.has(b))) {
        this.finish(request, RequestStatus.FINISHED_ABORTED);
      }
    }
  }

  private finish(request: Request, status: FinishedStatus): void {
    this.scheduler.finishRequests([request.requestId], status);
    this.outputs.push(this.outputOf(request, []));
  }

  private outputOf(request: Request, newTokenIds: number[]): EngineCoreOutput {
    return {
      requestId: request.requestId,
      parentRequestId: request.userRequestId,
      index: request.index,
      newTokenIds,
      newLogprobs: null,
      newPromptLogprobs: null,
      finishReason: request.finishReason,
      stopReason: request.stopReason,
      numCachedTokens: Math.max(0, request.numCachedTokens),
    };
  }
}

/** EngineCore's constructor: registers the pool with the connector and builds the bridge. */
export function attachKvConnector(
  connector: KvConnector,
  executor: ModelExecutor,
  config: { maxModelLen: number; kvCacheRegion?: KvCacheRegion | null },
  scheduler: Scheduler,
  kv: KvCacheManager,
): KvConnectorBridge {
  const region = config.kvCacheRegion ?? (executor as { kvPool?: KvCacheRegion }).kvPool;
  if (region === undefined || region === null)
    throw new EngineError('a KV connector needs the KV pool: pass kvCacheRegion or an executor with kvPool');
  connector.worker.registerKvCaches(region);
  const limits = { maxModelLen: config.maxModelLen, vocabSize: executor.vocabSize };
  return new KvConnectorBridge(connector, scheduler, kv, limits);
}

/** EngineCore.addRequest: a request with kvTransferParams must suit this engine (InvalidRequestError). */
export function checkRemoteRequest(
  bridge: KvConnectorBridge | null,
  req: { requestId: string; samplingParams: { n: number }; decodeState?: unknown },
  params: KvTransferParams,
): void {
  const fail = (why: string) => {
    throw new InvalidRequestError(req.requestId, why);
  };
  if (bridge === null) fail('kvTransferParams need an engine with a KV connector');
  if (params.doRemotePrefill === params.doRemoteDecode)
    fail('set exactly one of doRemotePrefill and doRemoteDecode');
  if (req.samplingParams.n > 1) fail('n > 1 is not supported with disaggregated prefill');
  if (req.decodeState) fail('decodeState and kvTransferParams exclude each other');
}
