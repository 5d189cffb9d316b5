import type { KvTransferParams } from '@pdserve/protocol';
import type { BlockHash } from './block-hasher.js';
import { EngineError } from './errors.js';
import { type FinishReason, finishReasonOf, isFinishedStatus, RequestStatus } from './request-status.js';
import type { SamplingParams } from './sampling-params.js';
import { Xoshiro128, type Xoshiro128State } from './xoshiro128.js';

/** What EngineCore needs to build a Request (the engine resolves maxTokens and EOS ids). */
export interface RequestInit {
  requestId: string;
  promptTokenIds: readonly number[];
  samplingParams: SamplingParams;
  /** Resolved max_tokens: params.maxTokens, or what maxModelLen leaves after the prompt. */
  maxTokens: number;
  /** The model's EOS ids (ignored when samplingParams.ignoreEos). */
  eosTokenIds: readonly number[];
  arrivalTime?: number;
  /** Lower runs first under the priority policy (vLLM's convention). */
  priority?: number;
  /** Isolates prefix-cache entries: blocks only match requests with the same salt. */
  cacheSalt?: string | null;
  /** For n > 1: the user-facing request id and this sequence's index (0 for the first). */
  parentRequestId?: string | null;
  index?: number;
  /** Disaggregated prefill/decode: what to do with the prompt's KV (see KvConnector). */
  kvTransferParams?: KvTransferParams | null;
}

/**
 * The complete decode state of a request: what a decode instance needs to continue exactly where
 * a prefill instance stopped (design §3.4). Penalty counters are derived from the output tokens.
 */
export interface RequestDecodeState {
  outputTokenIds: number[];
  rngState: Xoshiro128State;
}

/**
 * One sequence being generated. Created by EngineCore.addRequest; mutated by the Scheduler
 * (status, numComputedTokens, preemptions), the KvCacheManager (blockHashes) and the update after
 * each step (output tokens, stop). Children of an n > 1 request are Requests too.
 */
export class Request {
  readonly requestId: string;
  readonly promptTokenIds: readonly number[];
  readonly samplingParams: SamplingParams;
  readonly maxTokens: number;
  readonly eosTokenIds: readonly number[];
  readonly arrivalTime: number;
  readonly priority: number;
  readonly cacheSalt: string | null;
  readonly parentRequestId: string | null;
  readonly index: number;
  status: RequestStatus = RequestStatus.WAITING;
  /** Order of arrival at the scheduler; breaks ties between equal arrival times. */
  arrivalOrder = 0;
  readonly outputTokenIds: number[] = [];
  /** Prompt then output tokens. */
  readonly allTokenIds: number[];
  /** Tokens whose K/V is in the cache (or being written by the step in flight). */
  numComputedTokens = 0;
  /** Prompt tokens served by the prefix cache the first time it was scheduled; -1 until then. */
  numCachedTokens = -1;
  numPreemptions = 0;
  /** Chained hashes of the full blocks of allTokenIds, extended by the KvCacheManager. */
  readonly blockHashes: BlockHash[] = [];
  /** The stop token id or stop string that finished it, if one did. */
  stopReason: number | string | null = null;
  /** Rows at positions below this already scored their next prompt token (survives preemption). */
  promptLogprobsUpTo = 0;
  /** True while an n > 1 request still has to fork its siblings after its first token. */
  pendingFork: boolean;
  readonly rng: Xoshiro128;
  /** Count of each generated token, for presence and frequency penalties. */
  readonly outputTokenCounts = new Map<number, number>();
  /**
   * Disaggregated prefill/decode (null otherwise): the submitted kvTransferParams; on a decode
   * instance the KV connector replaces them with the reservation it made (blocks, transfer id).
   */
  kvTransferParams: KvTransferParams | null;
  private promptSet: Set<number> | null = null;

  constructor(init: RequestInit) {
    if (init.promptTokenIds.length === 0)
      throw new EngineError(`request ${init.requestId} has an empty prompt`);
    this.requestId = init.requestId;
    this.promptTokenIds = init.promptTokenIds;
    this.samplingParams = init.samplingParams;
    this.maxTokens = init.maxTokens;
    this.eosTokenIds = init.samplingParams.ignoreEos ? [] : init.eosTokenIds;
    this.arrivalTime = init.arrivalTime ?? performance.now();
    this.priority = init.priority ?? 0;
    this.cacheSalt = init.cacheSalt ?? null;
    this.parentRequestId = init.parentRequestId ?? null;
    this.index = init.index ?? 0;
    this.kvTransferParams = init.kvTransferParams ?? null;
    this.allTokenIds = [...init.promptTokenIds];
    this.pendingFork = this.index === 0 && init.samplingParams.n > 1;
    const seed = init.samplingParams.seed;
    this.rng = seed === null ? Xoshiro128.fromEntropy() : Xoshiro128.fromSeed(seed + this.index);
  }

  get numPromptTokens(): number {
    return this.promptTokenIds.length;
  }

  get numOutputTokens(): number {
    return this.outputTokenIds.length;
  }

  get numTokens(): number {
    return this.allTokenIds.length;
  }

  get isFinished(): boolean {
    return isFinishedStatus(this.status);
  }

  get finishReason(): FinishReason | null {
    return finishReasonOf(this.status);
  }

  /** The set of prompt token ids, for the repetition penalty (built once). */
  get promptTokenSet(): ReadonlySet<number> {
    this.promptSet ??= new Set(this.promptTokenIds);
    return this.promptSet;
  }

  /** Appends one sampled token (called by the Scheduler's update after a step). */
  appendOutputToken(tokenId: number): void {
    this.outputTokenIds.push(tokenId);
    this.allTokenIds.push(tokenId);
    this.outputTokenCounts.set(tokenId, (this.outputTokenCounts.get(tokenId) ?? 0) + 1);
  }

  /** The user-facing request id (this id, or the parent's for an n > 1 sibling). */
  get userRequestId(): string {
    return this.parentRequestId ?? this.requestId;
  }

  /**
   * A sibling for an n > 1 request: same prompt and parameters, its own id, index and RNG stream
   * (seed + index when seeded). Its blocks are shared by the KvCacheManager's fork.
   */
  forkChild(index: number): Request {
    const child = new Request({
      requestId: `${this.userRequestId}#${index}`,
      promptTokenIds: this.promptTokenIds,
      samplingParams: this.samplingParams,
      maxTokens: this.maxTokens,
      eosTokenIds: this.eosTokenIds,
      arrivalTime: this.arrivalTime,
      priority: this.priority,
      cacheSalt: this.cacheSalt,
      parentRequestId: this.userRequestId,
      index,
    });
    child.numCachedTokens = this.numCachedTokens;
    child.promptLogprobsUpTo = this.numPromptTokens;
    return child;
  }

  /** A snapshot of the decode state to carry to another instance. */
  toDecodeState(): RequestDecodeState {
    return { outputTokenIds: [...this.outputTokenIds], rngState: this.rng.getState() };
  }

  /** Restores a decode state on a fresh request (no outputs yet); the RNG continues its stream. */
  restoreDecodeState(state: RequestDecodeState): void {
    if (this.outputTokenIds.length > 0) {
      throw new EngineError(
        `request ${this.requestId} already has outputs; decode state can only be restored once`,
      );
    }
    for (const id of state.outputTokenIds) this.appendOutputToken(id);
    this.rng.setState(state.rngState);
  }
}
