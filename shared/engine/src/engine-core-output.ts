import type { PrefixCacheStats } from './kv-cache-manager.js';
import type { FinishReason } from './request-status.js';

/**
 * Logprobs at one position: entry 0 is the chosen (or actual prompt) token, followed by the
 * top-k tokens by logprob. Logprobs are of the model's raw logits (before penalties, bias and
 * temperature), as vLLM returns by default; rank 1 is the most likely token.
 */
export interface TokenLogprobs {
  tokenIds: number[];
  logprobs: number[];
  ranks: number[];
}

/** Prompt logprobs computed in one step: `entries[i]` scores prompt token `firstPosition + i`. */
export interface PromptLogprobsChunk {
  /** Prompt index of the first scored token (>= 1: the first prompt token has no logprob). */
  firstPosition: number;
  entries: TokenLogprobs[];
}

/** What the sampler produced for one request in one step. */
export interface SampleResult {
  tokenId: number | null;
  logprobs: TokenLogprobs | null;
  promptLogprobs: PromptLogprobsChunk | null;
}

/**
 * One request's result of one step, as EngineCore.step returns it to the output processor (and,
 * in a decode service, over NATS). Token-level stops (EOS, stop ids, max_tokens) are decided here;
 * stop strings are decided by the output processor, which then aborts the request.
 */
export interface EngineCoreOutput {
  /** Engine-internal id: the user's id for sequence 0, `${userId}#${index}` for n > 1 siblings. */
  requestId: string;
  /** The user-facing request id (the same as requestId for sequence 0). */
  parentRequestId: string;
  index: number;
  newTokenIds: number[];
  newLogprobs: TokenLogprobs[] | null;
  newPromptLogprobs: PromptLogprobsChunk | null;
  finishReason: FinishReason | null;
  stopReason: number | string | null;
  numCachedTokens: number;
}

/** Scheduler counters for metrics (vLLM's names where they exist). Cumulative counts never reset. */
export interface SchedulerStats {
  numRunningReqs: number;
  numWaitingReqs: number;
  /** Fraction of KV blocks in use, in [0, 1]. */
  kvCacheUsage: number;
  prefixCacheStats: PrefixCacheStats;
  numPreemptions: number;
  numSteps: number;
  numGeneratedTokens: number;
}

/** What EngineCore.step returns. */
export interface EngineCoreOutputs {
  outputs: EngineCoreOutput[];
  schedulerStats: SchedulerStats;
}
