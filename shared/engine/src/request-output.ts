import type { TokenLogprobs } from './engine-core-output.js';
import type { FinishReason } from './request-status.js';

/** One generated sequence of a request (vLLM's CompletionOutput). */
export interface CompletionOutput {
  /** Which of the n sequences. */
  index: number;
  /** Detokenized text (all of it, or only the new part in delta mode); '' without a detokenizer. */
  text: string;
  /** Token ids (all, or only the new ones in delta mode). */
  tokenIds: number[];
  /** Sum of the chosen tokens' logprobs; null unless logprobs were requested. */
  cumulativeLogprob: number | null;
  logprobs: TokenLogprobs[] | null;
  finishReason: FinishReason | null;
  /** The stop string or stop token id that ended it; null for EOS, length or abort. */
  stopReason: number | string | null;
}

/** What the offline API and streams report for one user request (vLLM's RequestOutput). */
export interface RequestOutput {
  requestId: string;
  promptTokenIds: readonly number[];
  /** Per prompt position; entry 0 is null (the first token has no logprob). Only what is new in delta mode. */
  promptLogprobs: (TokenLogprobs | null)[] | null;
  outputs: CompletionOutput[];
  /** True once every sequence finished. */
  finished: boolean;
  /** Prompt tokens served from the prefix cache. */
  numCachedTokens: number;
}
