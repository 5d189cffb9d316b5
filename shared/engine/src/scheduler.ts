import { checkRequestFits } from './check-fits.js';
import { checkStop } from './check-stop.js';
import type { EngineCoreOutput, SampleResult, SchedulerStats } from './engine-core-output.js';
import { EngineError, InvalidRequestError } from './errors.js';
import type { KvCacheManager } from './kv-cache-manager.js';
import type { Request } from './request.js';
import {
  comparePriority,
  createRequestQueue,
  type RequestQueue,
  type SchedulingPolicy,
} from './request-queue.js';
import { type FinishedStatus, RequestStatus } from './request-status.js';
import type { ScheduledRequest, SchedulerOutput } from './scheduler-output.js';

/** Batch limits and policy. */
export interface SchedulerConfig {
  /** Token budget of one step: decode tokens plus prefill chunks. */
  maxNumBatchedTokens: number;
  /** Most sequences in one step (and most running requests admitted). */
  maxNumSeqs: number;
  /** Longest sequence (prompt + output) the model serves. */
  maxModelLen: number;
  policy?: SchedulingPolicy;
  /** Split prompts longer than the remaining budget over several steps (default true). */
  enableChunkedPrefill?: boolean;
  /**
   * Fraction of the KV pool that admitting a waiting request must leave free while others run:
   * headroom for the running requests' next blocks, so a full pool does not thrash by
   * preempt-and-recompute (vLLM v0's watermark; default 0.01, 0 to admit until the pool is full).
   */
  admissionWatermark?: number;
}

/** What one schedule() call has decided so far. */
interface StepPlan {
  budget: number;
  entries: Map<Request, { start: number; n: number; isNew: boolean }>;
  preempted: Request[];
}

/**
 * vLLM v1's scheduler: each step spends one token budget on running requests first (decode tokens
 * and ongoing prefill chunks), then admits waiting ones, chunking prompts to the budget. When the
 * KV cache is full it preempts by recompute. EngineCore calls `addRequest`, `schedule` before each
 * model step, `updateFromOutput` after it, and `finishRequests` on abort. Mutates the requests'
 * status and numComputedTokens and the KvCacheManager's allocations.
 */
export class Scheduler {
  readonly waiting: RequestQueue;
  readonly running: Request[] = [];
  readonly requests = new Map<string, Request>();
  readonly policy: SchedulingPolicy;
  private readonly chunkedPrefill: boolean;
  private readonly watermarkBlocks: number;
  private finishedIds: string[] = [];
  private arrivalCounter = 0;
  private numPreemptions = 0;
  private numSteps = 0;
  private numGeneratedTokens = 0;
  /**
   * Set by EngineCore when a KV connector is plugged in: called when a request finishes; returning
   * true keeps its blocks allocated (a transfer still uses them) and the caller frees them later.
   */
  onRequestFinished: ((request: Request) => boolean) | null = null;

  constructor(
    readonly config: SchedulerConfig,
    readonly kvCacheManager: KvCacheManager,
  ) {
    for (const key of ['maxNumBatchedTokens', 'maxNumSeqs', 'maxModelLen'] as const) {
      if (!Number.isInteger(config[key]) || config[key] < 1)
        throw new EngineError(`${key} must be a positive integer`);
    }
    this.policy = config.policy ?? 'fcfs';
    this.chunkedPrefill = config.enableChunkedPrefill ?? true;
    const watermark = config.admissionWatermark ?? 0.01;
    if (!(watermark >= 0 && watermark < 1)) throw new EngineError('admissionWatermark must be in [0, 1)');
    this.watermarkBlocks = Math.floor(watermark * kvCacheManager.blockPool.numBlocks);
    this.waiting = createRequestQueue(this.policy);
  }

  /** Throws RequestTooLargeError when the request can never run (see checkRequestFits). */
  checkFits(request: Request): void {
    checkRequestFits(request, {
      ...this.config,
      enableChunkedPrefill: this.chunkedPrefill,
      blockSize: this.kvCacheManager.blockSize,
      numBlocks: this.kvCacheManager.blockPool.numBlocks,
    });
  }

  /**
   * Queues a new request after `checkFits`. `status` WAITING_FOR_REMOTE_KVS queues a request
   * whose KV is on its way (the scheduler skips it until it is set to WAITING).
   */
  addRequest(
    request: Request,
    status:
      | typeof RequestStatus.WAITING
      | typeof RequestStatus.WAITING_FOR_REMOTE_KVS = RequestStatus.WAITING,
  ): void {
    if (this.requests.has(request.requestId)) {
      throw new InvalidRequestError(request.requestId, 'a request with this id is already running');
    }
    this.checkFits(request);
    request.arrivalOrder = this.arrivalCounter++;
    request.status = status;
    this.requests.set(request.requestId, request);
    this.waiting.add(request);
  }

  /** Forks an n > 1 sibling that shares the parent's full prompt blocks and joins the running set. */
  forkRequest(parent: Request, index: number): Request {
    const child = parent.forkChild(index);
    if (this.requests.has(child.requestId))
      throw new InvalidRequestError(child.requestId, 'duplicate sibling id');
    const numShared = Math.floor(parent.numPromptTokens / this.kvCacheManager.blockSize);
    this.kvCacheManager.fork(parent, child, numShared);
    child.numComputedTokens = numShared * this.kvCacheManager.blockSize;
    child.arrivalOrder = this.arrivalCounter++;
    child.status = RequestStatus.RUNNING;
    this.requests.set(child.requestId, child);
    this.running.push(child);
    return child;
  }

  /** Decides the next step's batch. A short driver: running first, then waiting unless memory ran out. */
  schedule(): SchedulerOutput {
    const plan: StepPlan = { budget: this.config.maxNumBatchedTokens, entries: new Map(), preempted: [] };
    this.scheduleRunning(plan);
    if (plan.preempted.length === 0) this.scheduleWaiting(plan);
    return this.commit(plan);
  }

  /**
   * Applies one request's sample after a step: appends the token, checks token-level stops and
   * frees the request if it finished. Returns the output to report, or null when there is none
   * (a prefill chunk with nothing to report, or a request aborted while the step ran).
   */
  applySample(request: Request, result: SampleResult | undefined): EngineCoreOutput | null {
    if (request.isFinished || this.requests.get(request.requestId) !== request) return null;
    const newTokenIds: number[] = [];
    if (result?.tokenId != null) {
      request.appendOutputToken(result.tokenId);
      newTokenIds.push(result.tokenId);
      this.numGeneratedTokens++;
      checkStop(request, this.config.maxModelLen);
    }
    const promptLogprobs = result?.promptLogprobs ?? null;
    if (newTokenIds.length === 0 && promptLogprobs === null) return null;
    const output: EngineCoreOutput = {
      requestId: request.requestId,
      parentRequestId: request.userRequestId,
      index: request.index,
      newTokenIds,
      newLogprobs: result?.logprobs ? [result.logprobs] : null,
      newPromptLogprobs: promptLogprobs,
      finishReason: request.finishReason,
      stopReason: request.stopReason,
      numCachedTokens: Math.max(0, request.numCachedTokens),
    };
    if (request.isFinished) this.release(request);
    return output;
  }

  /** applySample over a whole step's batch, in batch order. */
  updateFromOutput(output: SchedulerOutput, results: ReadonlyMap<string, SampleResult>): EngineCoreOutput[] {
    const outs: EngineCoreOutput[] = [];
    for (const s of output.scheduledRequests) {
      const out = this.applySample(s.request, results.get(s.request.requestId));
      if (out !== null) outs.push(out);
    }
    return outs;
  }

  /** Finishes requests at once (abort, or a stop string found by the output processor) and frees their blocks. */
  finishRequests(requestIds: Iterable<string>, status: FinishedStatus): Request[] {
    const done: Request[] = [];
    for (const id of requestIds) {
      const request = this.requests.get(id);
      if (request === undefined || request.isFinished) continue;
      if (request.status !== RequestStatus.RUNNING) this.waiting.remove(request);
      request.status = status;
      this.release(request);
      done.push(request);
    }
    return done;
  }

  get numUnfinishedRequests(): number {
    return this.requests.size;
  }

  hasUnfinishedRequests(): boolean {
    return this.requests.size > 0;
  }

  /** Counters for metrics. */
  makeStats(): SchedulerStats {
    const kv = this.kvCacheManager;
    return {
      numRunningReqs: this.running.length,
      numWaitingReqs: this.waiting.length,
      kvCacheUsage: kv.usage,
      prefixCacheStats: { ...kv.prefixCacheStats },
      numPreemptions: this.numPreemptions,
      numSteps: this.numSteps,
      numGeneratedTokens: this.numGeneratedTokens,
    };
  }

  private scheduleRunning(plan: StepPlan): void {
    let i = 0;
    while (i < this.running.length && plan.budget > 0 && plan.entries.size < this.config.maxNumSeqs) {
      const request = this.running[i];
      const n = Math.min(request.numTokens - request.numComputedTokens, plan.budget);
      if (n <= 0) {
        i++;
        continue;
      }
      if (!this.allocateOrPreempt(request, n, plan)) break;
      plan.entries.set(request, { start: request.numComputedTokens, n, isNew: false });
      plan.budget -= n;
      // Preemption may have removed requests before this one.
      i = this.running.indexOf(request) + 1;
    }
  }

  /** Allocates for `request`, preempting victims until it fits; false if `request` itself was preempted. */
  private allocateOrPreempt(request: Request, n: number, plan: StepPlan): boolean {
    while (this.kvCacheManager.allocateSlots(request, n) === null) {
      const victim = this.pickVictim();
      this.preempt(victim, plan);
      if (victim === request) return false;
    }
    return true;
  }

  /** The running request to preempt: the latest arrival (fcfs) or the lowest priority (priority). */
  private pickVictim(): Request {
    if (this.running.length === 0) throw new EngineError('no running request to preempt');
    if (this.policy === 'fcfs') return this.running[this.running.length - 1];
    return this.running.reduce((worst, r) => (comparePriority(r, worst) > 0 ? r : worst));
  }

  private preempt(victim: Request, plan: StepPlan): void {
    const entry = plan.entries.get(victim);
    if (entry !== undefined) {
      plan.budget += entry.n;
      plan.entries.delete(victim);
    }
    this.running.splice(this.running.indexOf(victim), 1);
    this.kvCacheManager.free(victim);
    victim.status = RequestStatus.PREEMPTED;
    victim.numComputedTokens = 0;
    victim.numPreemptions++;
    this.numPreemptions++;
    this.waiting.prepend(victim);
    plan.preempted.push(victim);
  }

  private scheduleWaiting(plan: StepPlan): void {
    const skipped: Request[] = [];
    const { maxNumSeqs } = this.config;
    while (this.waiting.length > 0 && plan.budget > 0 && this.running.length < maxNumSeqs) {
      if (plan.entries.size >= maxNumSeqs) break;
      const request = this.waiting.peek()!;
      if (request.status === RequestStatus.WAITING_FOR_REMOTE_KVS) {
        skipped.push(this.waiting.pop()!);
        continue;
      }
      if (!this.admit(request, plan)) break;
    }
    for (const r of skipped.reverse()) this.waiting.prepend(r);
  }

  /** Moves the head of the waiting queue to running if its first chunk fits; false otherwise. */
  private admit(request: Request, plan: StepPlan): boolean {
    const kv = this.kvCacheManager;
    // A request whose prompt KV was loaded from another instance already holds its blocks.
    const loaded = request.numComputedTokens > 0;
    const hit = loaded
      ? { blocks: [], numComputedTokens: request.numComputedTokens }
      : kv.getComputedBlocks(request);
    const remaining = request.numTokens - hit.numComputedTokens;
    const n = Math.min(remaining, plan.budget);
    if (!this.chunkedPrefill && n < remaining) return false;
    const left = kv.numFreeBlocks - kv.numBlocksToAllocate(request, n, hit.blocks);
    if (this.running.length > 0 && left < this.watermarkBlocks) return false;
    if (kv.allocateSlots(request, n, hit.blocks) === null) return false;
    if (!loaded) kv.recordPrefixCacheQuery(request.numTokens, hit.numComputedTokens);
    this.waiting.pop();
    this.running.push(request);
    request.status = RequestStatus.RUNNING;
    request.numComputedTokens = hit.numComputedTokens;
    if (request.numCachedTokens < 0) request.numCachedTokens = hit.numComputedTokens;
    plan.entries.set(request, { start: hit.numComputedTokens, n, isNew: true });
    plan.budget -= n;
    return true;
  }

  /** Advances numComputedTokens of everything scheduled (the step in flight will compute them). */
  private commit(plan: StepPlan): SchedulerOutput {
    const scheduledRequests: ScheduledRequest[] = [];
    let total = 0;
    for (const [request, e] of plan.entries) {
      const blockIds = this.kvCacheManager.getBlockIds(request.requestId);
      scheduledRequests.push({
        request,
        numComputedTokens: e.start,
        numScheduledTokens: e.n,
        blockIds,
        isNew: e.isNew,
      });
      request.numComputedTokens = e.start + e.n;
      total += e.n;
    }
    if (total > this.config.maxNumBatchedTokens)
      throw new EngineError(`scheduled ${total} tokens over the budget`);
    if (total > 0) this.numSteps++;
    const finishedRequestIds = this.finishedIds;
    this.finishedIds = [];
    const preemptedRequestIds = plan.preempted.map((r) => r.requestId);
    return { scheduledRequests, totalNumScheduledTokens: total, preemptedRequestIds, finishedRequestIds };
  }

  private release(request: Request): void {
    const i = this.running.indexOf(request);
    if (i >= 0) this.running.splice(i, 1);
    if (this.onRequestFinished?.(request) !== true) this.kvCacheManager.free(request);
    this.requests.delete(request.requestId);
    this.finishedIds.push(request.requestId);
  }
}
