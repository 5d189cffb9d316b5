import type { KvTransferParams } from '@pdserve/protocol';
import type { EngineCoreOutput, EngineCoreOutputs, SchedulerStats } from './engine-core-output.js';
import { EngineError, EngineStateError, ExecutorError, InvalidRequestError } from './errors.js';
import { KvCacheManager } from './kv-cache-manager.js';
import type { KvCacheRegion, KvConnector, KvConnectorEvent } from './kv-connector.js';
import { attachKvConnector, checkRemoteRequest, type KvConnectorBridge } from './kv-connector-bridge.js';
import type { KvCacheEvent } from './kv-events.js';
import type { ModelExecutor } from './model-executor.js';
import { type BuiltModelInput, ModelInputBuilder } from './model-input-builder.js';
import { Request, type RequestDecodeState } from './request.js';
import type { SchedulingPolicy } from './request-queue.js';
import { type FinishedStatus, RequestStatus } from './request-status.js';
import { type SampledToken, Sampler } from './sampler.js';
import type { SamplingKernel } from './sampling-kernel.js';
import type { SamplingParams } from './sampling-params.js';
import { Scheduler } from './scheduler.js';
import type { SchedulerOutput } from './scheduler-output.js';
import type { KvSlotUsage, StepMetrics } from './step-metrics.js';
import { applySamples, type PlannedSamples, planSamples } from './step-samples.js';

/** Engine limits and cache settings. Pool size and block size come from the executor. */
export interface EngineCoreConfig {
  /** Longest prompt + output; at most the model's maxSeqLen. */
  maxModelLen: number;
  /** Token budget per step (default 2048). */
  maxNumBatchedTokens?: number;
  /** Sequences per step (default 256). */
  maxNumSeqs?: number;
  /** 'fcfs' (default) or 'priority'. */
  policy?: SchedulingPolicy;
  /** Default true. */
  enableChunkedPrefill?: boolean;
  /** Default true. */
  enablePrefixCaching?: boolean;
  /** KV headroom kept free when admitting while others run (see SchedulerConfig; default 0.01). */
  admissionWatermark?: number;
  /** Record KvCacheEvents for takeKvEvents() (default false). */
  enableKvCacheEvents?: boolean;
  /** Model fingerprint seeding the block hashes (the gateway hashes prompts with the same seed). */
  hashSeed: string;
  /** The model's end-of-sequence ids. */
  eosTokenIds: readonly number[];
  /** A batched sampler (the native one); default: the TypeScript Sampler, row by row. */
  samplingKernel?: SamplingKernel | null;
  /** Disaggregated prefill/decode: moves prompt KV to or from other instances (see KvConnector). */
  kvConnector?: KvConnector | null;
  /** The pool the connector moves blocks of; default: the executor's `kvPool` (ModelRunner's). */
  kvCacheRegion?: KvCacheRegion | null;
}

/** A request as submitted to EngineCore. */
export interface EngineCoreRequest {
  requestId: string;
  promptTokenIds: readonly number[];
  samplingParams: SamplingParams;
  priority?: number;
  cacheSalt?: string | null;
  arrivalTime?: number;
  /**
   * Resume a request another instance started: its output tokens so far and RNG state. The
   * engine recomputes prompt + outputs and continues exactly where the other one stopped.
   */
  decodeState?: RequestDecodeState;
  /**
   * Disaggregated prefill/decode (needs a kvConnector). doRemotePrefill (decode side): blocks for
   * the whole prompt are reserved now (KvCacheFullError when they cannot be), the request waits in
   * WAITING_FOR_REMOTE_KVS and `remotePrefillReservation` gives the params for the prefill side.
   * doRemoteDecode (prefill side, with the decode side's params): the prompt runs with max_tokens
   * 1, and its blocks go to the decode instance when the first token is sampled.
   */
  kvTransferParams?: KvTransferParams | null;
}

/**
 * The engine's busy loop body (vLLM's EngineCore). `step()` schedules, builds the ModelInput,
 * awaits the executor, samples and updates the requests, and returns the step's outputs.
 * The synchronous part of `step()` (schedule, build, launch) runs before its first await, so a
 * driver can launch step k+1 and then process step k's outputs while the runner computes
 * (EngineLoop does). Only one step may be in flight; addRequest and abortRequests may be called
 * at any time, an abort freeing the request's blocks at once (its in-flight result is dropped).
 */
export class EngineCore {
  readonly scheduler: Scheduler;
  readonly kvCacheManager: KvCacheManager;
  private readonly builder: ModelInputBuilder;
  private readonly sampler: Sampler;
  private inFlight = false;
  /** The KV connector's engine side, when one is configured. */
  readonly kvConnector: KvConnectorBridge | null;
  /** Called at the end of every step that ran the model (benchmarks set it). */
  onStepMetrics: ((metrics: StepMetrics) => void) | null = null;

  constructor(
    readonly executor: ModelExecutor,
    readonly config: EngineCoreConfig,
  ) {
    this.kvCacheManager = new KvCacheManager({
      numBlocks: executor.numBlocks,
      blockSize: executor.blockSize,
      enablePrefixCaching: config.enablePrefixCaching ?? true,
      enableKvCacheEvents: config.enableKvCacheEvents ?? false,
      hashSeed: config.hashSeed,
    });
    this.scheduler = new Scheduler(
      {
        maxModelLen: config.maxModelLen,
        maxNumBatchedTokens: config.maxNumBatchedTokens ?? 2048,
        maxNumSeqs: config.maxNumSeqs ?? 256,
        policy: config.policy ?? 'fcfs',
        enableChunkedPrefill: config.enableChunkedPrefill ?? true,
        admissionWatermark: config.admissionWatermark,
      },
      this.kvCacheManager,
    );
    this.builder = new ModelInputBuilder(executor.blockSize);
    this.sampler = new Sampler(executor.vocabSize, config.samplingKernel ?? null);
    this.kvConnector = config.kvConnector
      ? attachKvConnector(config.kvConnector, executor, config, this.scheduler, this.kvCacheManager)
      : null;
  }

  /** Called with every KV connector event (first token on prefill, transfer outcomes); services set it. */
  set onKvConnectorEvent(listener: ((event: KvConnectorEvent) => void) | null) {
    if (this.kvConnector) this.kvConnector.onEvent = listener;
  }

  /**
   * Decode side, after addRequest with doRemotePrefill: resolves with the kvTransferParams for the
   * SubmitReply once the transfer is open under the agent's lease; rejects (ServiceError) when it
   * could not be opened (the request is then aborted and its blocks freed).
   */
  remotePrefillReservation(requestId: string): Promise<KvTransferParams> {
    if (this.kvConnector === null) throw new EngineStateError('this engine has no KV connector');
    return this.kvConnector.connector.scheduler.reservation(requestId);
  }

  /**
   * Validates and queues a request. Throws InvalidRequestError (duplicate id, token outside the
   * vocabulary), InvalidSamplingParamsError, or RequestTooLargeError when it can never fit.
   */
  addRequest(req: EngineCoreRequest): Request {
    const vocab = this.executor.vocabSize;
    const bad = req.promptTokenIds.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (bad !== undefined)
      throw new InvalidRequestError(req.requestId, `prompt token ${bad} is outside the vocabulary`);
    if (req.requestId.includes('#'))
      throw new InvalidRequestError(req.requestId, "request ids must not contain '#'");
    req.samplingParams.verifyForVocab(vocab);
    const { maxModelLen } = this.config;
    const kvParams = req.kvTransferParams ?? null;
    if (kvParams) checkRemoteRequest(this.kvConnector, req, kvParams);
    if (this.kvConnector?.isHolding(req.requestId))
      throw new InvalidRequestError(
        req.requestId,
        'a transfer still holds the blocks of a request with this id',
      );
    const request = new Request({
      ...req,
      // The prefill side of a disaggregated request samples the first token only.
      maxTokens: kvParams?.doRemoteDecode
        ? 1
        : (req.samplingParams.maxTokens ?? Math.max(1, maxModelLen - req.promptTokenIds.length)),
      eosTokenIds: this.config.eosTokenIds,
    });
    if (req.decodeState) this.restore(request, req.decodeState);
    if (kvParams?.doRemotePrefill) this.kvConnector!.addRemotePrefill(request);
    else if (kvParams?.doRemoteDecode) this.kvConnector!.addRemoteDecode(request);
    else this.scheduler.addRequest(request);
    this.kvConnector?.wakeUp();
    return request;
  }

  /** Aborts user requests (all n sequences) now, freeing their blocks. Unknown ids are ignored. */
  abortRequests(requestIds: Iterable<string>): void {
    const users = new Set(requestIds);
    const ids = [...this.scheduler.requests.values()]
      .filter((r) => users.has(r.userRequestId))
      .map((r) => r.requestId);
    this.scheduler.finishRequests(ids, RequestStatus.FINISHED_ABORTED);
    this.kvConnector?.wakeUp();
  }

  /**
   * Finishes single sequences by their engine ids (EngineCoreOutput.requestId) with `status`:
   * the output processor's stop-string stops (FINISHED_STOPPED). Frees their blocks now.
   */
  finishSequences(requestIds: Iterable<string>, status: FinishedStatus): void {
    this.scheduler.finishRequests(requestIds, status);
    this.kvConnector?.wakeUp();
  }

  private restore(request: Request, state: RequestDecodeState): void {
    const { outputTokenIds } = state;
    if (outputTokenIds.length >= request.maxTokens) {
      throw new InvalidRequestError(request.requestId, 'the decode state already has max_tokens outputs');
    }
    if (outputTokenIds.some((id) => !Number.isInteger(id) || id < 0 || id >= this.executor.vocabSize)) {
      throw new InvalidRequestError(request.requestId, 'the decode state has tokens outside the vocabulary');
    }
    request.restoreDecodeState(state);
    // Siblings of n > 1 were forked by the instance that produced the first token.
    request.pendingFork = false;
    request.promptLogprobsUpTo = request.numPromptTokens;
  }

  /** True while requests run or wait, or outputs of finished transfers wait for the next step. */
  hasUnfinishedRequests(): boolean {
    return this.scheduler.hasUnfinishedRequests() || (this.kvConnector?.hasOutputs ?? false);
  }

  get stats(): SchedulerStats {
    return this.scheduler.makeStats();
  }

  /** KV slots of the blocks held now and how many of them hold computed tokens (KV waste = 1 - used / reserved). */
  kvSlotUsage(): KvSlotUsage {
    return this.kvCacheManager.slotUsage(this.scheduler.requests.values());
  }

  /** KV events since the last call (when enabled). */
  takeKvEvents(): KvCacheEvent[] {
    return this.kvCacheManager.takeEvents();
  }

  /** Runs one step. Resolves with no outputs when nothing could be scheduled. */
  async step(): Promise<EngineCoreOutputs> {
    if (this.inFlight) throw new EngineStateError('step() called while another step is in flight');
    const t0 = performance.now();
    this.kvConnector?.poll();
    const output = this.scheduler.schedule();
    if (output.totalNumScheduledTokens === 0) return this.idleStep();
    const meta = this.kvConnector?.beforeForward(output) ?? null;
    const built = this.builder.build(output);
    const t1 = performance.now();
    this.inFlight = true;
    let logits: Float32Array;
    let t2: number;
    let planned: PlannedSamples;
    let sampled: SampledToken[];
    try {
      logits = await this.execute(output, built);
      if (meta !== null) await this.kvConnector!.afterForward(meta);
      t2 = performance.now();
      planned = planSamples(output, built, logits, this.sampler, (r) => this.fork(r));
      const pending = this.sampler.sampleRows(logits, planned.items);
      sampled = pending instanceof Promise ? await this.settleSampling(output, pending) : pending;
    } finally {
      this.inFlight = false;
    }
    const t3 = performance.now();
    const outputs = applySamples(this.scheduler, output, planned, sampled);
    if (this.kvConnector?.hasOutputs) outputs.unshift(...this.kvConnector.takeOutputs());
    const t4 = performance.now();
    this.onStepMetrics?.({
      numScheduledSeqs: output.scheduledRequests.length,
      numScheduledTokens: output.totalNumScheduledTokens,
      numSampled: planned.items.length,
      scheduleMs: t1 - t0,
      executeMs: t2 - t1,
      sampleMs: t3 - t2,
      updateMs: t4 - t3,
    });
    return { outputs, schedulerStats: this.stats };
  }

  /**
   * A step with nothing to run: reports outputs of finished transfers; when requests only wait for
   * remote KV, first waits for the connector's progress (or a new request, or an abort).
   */
  private async idleStep(): Promise<EngineCoreOutputs> {
    const bridge = this.kvConnector;
    if (bridge?.shouldWait()) {
      this.inFlight = true;
      try {
        await bridge.waitForProgress();
      } finally {
        this.inFlight = false;
      }
    }
    const outputs: EngineCoreOutput[] = bridge?.takeOutputs() ?? [];
    return { outputs, schedulerStats: this.stats };
  }

  /** Runs the executor; on failure aborts the step's requests and throws ExecutorError. */
  private async execute(output: SchedulerOutput, built: BuiltModelInput): Promise<Float32Array> {
    try {
      const logits = await this.executor.execute(built.input);
      const expected = built.input.logitsRows.length * this.executor.vocabSize;
      if (logits.length !== expected)
        throw new EngineError(`executor returned ${logits.length} logits, expected ${expected}`);
      return logits;
    } catch (cause) {
      const ids = this.failStep(output);
      throw new ExecutorError('the model executor failed a step; its requests were aborted', ids, { cause });
    }
  }

  /** Awaits the sampling kernel; on failure aborts the step's requests as an executor failure would. */
  private async settleSampling(
    output: SchedulerOutput,
    pending: Promise<SampledToken[]>,
  ): Promise<SampledToken[]> {
    try {
      return await pending;
    } catch (cause) {
      const ids = this.failStep(output);
      throw new ExecutorError('the sampler failed a step; its requests were aborted', ids, { cause });
    }
  }

  /** Creates the n - 1 siblings of a request that just finished its prompt; each samples the parent's row. */
  private fork(parent: Request): Request[] {
    parent.pendingFork = false;
    const children: Request[] = [];
    for (let i = 1; i < parent.samplingParams.n; i++) children.push(this.scheduler.forkRequest(parent, i));
    return children;
  }

  /**
   * After an executor failure the blocks this step wrote may hold garbage: drop them from the prefix
   * cache (a same-step hit on them belongs to a request of this step too), then abort the step's
   * requests. Other requests keep running.
   */
  private failStep(output: SchedulerOutput): string[] {
    const bs = this.kvCacheManager.blockSize;
    for (const s of output.scheduledRequests) {
      // From the step's snapshot: a request aborted mid-step has already given its blocks back.
      const first = Math.floor(s.numComputedTokens / bs);
      const end = Math.ceil((s.numComputedTokens + s.numScheduledTokens) / bs);
      this.kvCacheManager.uncacheBlockIds(s.blockIds.slice(first, end));
    }
    const ids = [...new Set(output.scheduledRequests.map((s) => s.request.userRequestId))];
    this.abortRequests(ids);
    return ids;
  }
}
