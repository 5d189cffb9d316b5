import type {
  EngineCoreOutput,
  EngineCoreOutputs,
  SampleResult,
  SchedulerStats,
} from './engine-core-output.js';
import { EngineError, EngineStateError, ExecutorError, InvalidRequestError } from './errors.js';
import { KvCacheManager } from './kv-cache-manager.js';
import type { KvCacheEvent } from './kv-events.js';
import type { ModelExecutor } from './model-executor.js';
import { type BuiltModelInput, ModelInputBuilder } from './model-input-builder.js';
import { Request, type RequestDecodeState } from './request.js';
import type { SchedulingPolicy } from './request-queue.js';
import { type FinishedStatus, RequestStatus } from './request-status.js';
import { Sampler } from './sampler.js';
import type { SamplingParams } from './sampling-params.js';
import { Scheduler } from './scheduler.js';
import type { SchedulerOutput } from './scheduler-output.js';

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
  /** Record KvCacheEvents for takeKvEvents() (default false). */
  enableKvCacheEvents?: boolean;
  /** Model fingerprint seeding the block hashes (the gateway hashes prompts with the same seed). */
  hashSeed: string;
  /** The model's end-of-sequence ids. */
  eosTokenIds: readonly number[];
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
      },
      this.kvCacheManager,
    );
    this.builder = new ModelInputBuilder(executor.blockSize);
    this.sampler = new Sampler(executor.vocabSize);
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
    const request = new Request({
      ...req,
      maxTokens: req.samplingParams.maxTokens ?? Math.max(1, maxModelLen - req.promptTokenIds.length),
      eosTokenIds: this.config.eosTokenIds,
    });
    if (req.decodeState) this.restore(request, req.decodeState);
    this.scheduler.addRequest(request);
    return request;
  }

  /** Aborts user requests (all n sequences) now, freeing their blocks. Unknown ids are ignored. */
  abortRequests(requestIds: Iterable<string>): void {
    const users = new Set(requestIds);
    const ids = [...this.scheduler.requests.values()]
      .filter((r) => users.has(r.userRequestId))
      .map((r) => r.requestId);
    this.scheduler.finishRequests(ids, RequestStatus.FINISHED_ABORTED);
  }

  /**
   * Finishes single sequences by their engine ids (EngineCoreOutput.requestId) with `status`:
   * the output processor's stop-string stops (FINISHED_STOPPED). Frees their blocks now.
   */
  finishSequences(requestIds: Iterable<string>, status: FinishedStatus): void {
    this.scheduler.finishRequests(requestIds, status);
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

  hasUnfinishedRequests(): boolean {
    return this.scheduler.hasUnfinishedRequests();
  }

  get stats(): SchedulerStats {
    return this.scheduler.makeStats();
  }

  /** KV events since the last call (when enabled). */
  takeKvEvents(): KvCacheEvent[] {
    return this.kvCacheManager.takeEvents();
  }

  /** Runs one step. Resolves with no outputs when nothing could be scheduled. */
  async step(): Promise<EngineCoreOutputs> {
    if (this.inFlight) throw new EngineStateError('step() called while another step is in flight');
    const output = this.scheduler.schedule();
    if (output.totalNumScheduledTokens === 0) return { outputs: [], schedulerStats: this.stats };
    const built = this.builder.build(output);
    this.inFlight = true;
    let logits: Float32Array;
    try {
      logits = await this.executor.execute(built.input);
      const expected = built.input.logitsRows.length * this.executor.vocabSize;
      if (logits.length !== expected)
        throw new EngineError(`executor returned ${logits.length} logits, expected ${expected}`);
    } catch (cause) {
      const ids = this.failStep(output);
      throw new ExecutorError('the model executor failed a step; its requests were aborted', ids, { cause });
    } finally {
      this.inFlight = false;
    }
    return { outputs: this.update(output, built, logits), schedulerStats: this.stats };
  }

  /** Samples every row that samples, forks n > 1 siblings, and applies the results to the requests. */
  private update(output: SchedulerOutput, built: BuiltModelInput, logits: Float32Array): EngineCoreOutput[] {
    const results = new Map<string, SampleResult>();
    const forked: [Request, SampleResult][] = [];
    output.scheduledRequests.forEach((s, i) => {
      const request = s.request;
      if (request.isFinished) return;
      const rows = built.rows[i];
      const result: SampleResult = { tokenId: null, logprobs: null, promptLogprobs: null };
      if (rows.promptCount > 0) {
        const chunk = this.sampler.promptLogprobs(
          logits,
          rows.promptFirstRow,
          rows.promptFirstPosition,
          rows.promptCount,
          request,
        );
        request.promptLogprobsUpTo = rows.promptFirstPosition - 1 + rows.promptCount;
        result.promptLogprobs = chunk;
      }
      if (rows.sampleRow >= 0) {
        Object.assign(result, this.sampler.sample(logits, rows.sampleRow, request));
        if (request.pendingFork) forked.push(...this.fork(request, logits, rows.sampleRow));
      }
      results.set(request.requestId, result);
    });
    const outs = this.scheduler.updateFromOutput(output, results);
    for (const [child, result] of forked) {
      const out = this.scheduler.applySample(child, result);
      if (out !== null) outs.push(out);
    }
    return outs;
  }

  /** Creates the n - 1 siblings of a request that just finished its prompt; each samples the same row. */
  private fork(parent: Request, logits: Float32Array, row: number): [Request, SampleResult][] {
    parent.pendingFork = false;
    const out: [Request, SampleResult][] = [];
    for (let i = 1; i < parent.samplingParams.n; i++) {
      const child = this.scheduler.forkRequest(parent, i);
      out.push([child, { ...this.sampler.sample(logits, row, child), promptLogprobs: null }]);
    }
    return out;
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
