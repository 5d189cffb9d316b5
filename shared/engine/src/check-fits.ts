import { RequestTooLargeError } from './errors.js';
import type { Request } from './request.js';

/** The limits a request must fit within, from the scheduler config and the KV pool. */
export interface FitLimits {
  maxModelLen: number;
  maxNumBatchedTokens: number;
  enableChunkedPrefill: boolean;
  blockSize: number;
  numBlocks: number;
}

/**
 * Rejects, at add time, a request that can never run whatever else is scheduled: prompt +
 * max_tokens over maxModelLen, more KV blocks than the whole pool, or (without chunked prefill)
 * more tokens than one step's budget. Throws RequestTooLargeError; called by Scheduler.addRequest.
 * A request that passes always completes eventually: alone in the engine it fits.
 */
export function checkRequestFits(request: Request, limits: FitLimits): void {
  const { maxModelLen, maxNumBatchedTokens } = limits;
  const id = request.requestId;
  const total = request.numPromptTokens + request.maxTokens;
  if (total > maxModelLen) {
    const msg = `prompt (${request.numPromptTokens}) + max_tokens (${request.maxTokens}) exceeds max_model_len ${maxModelLen}`;
    throw new RequestTooLargeError(id, 'maxModelLen', total, maxModelLen, msg);
  }
  // The last sampled token is never written to the cache.
  const blocks = Math.ceil((total - 1) / limits.blockSize);
  if (blocks > limits.numBlocks) {
    const msg = `needs ${blocks} KV blocks for ${total - 1} tokens, the pool has ${limits.numBlocks}`;
    throw new RequestTooLargeError(id, 'kvCacheCapacity', blocks, limits.numBlocks, msg);
  }
  if (!limits.enableChunkedPrefill && total - 1 > maxNumBatchedTokens) {
    const msg = `without chunked prefill ${total - 1} tokens exceed max_num_batched_tokens ${maxNumBatchedTokens}`;
    throw new RequestTooLargeError(id, 'maxNumBatchedTokens', total - 1, maxNumBatchedTokens, msg);
  }
}
