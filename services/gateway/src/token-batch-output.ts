import type { CompletionOutput, RequestOutput } from '@pdserve/engine';
import type { TokenBatch } from '@pdserve/protocol';

/**
 * One TokenBatch of a request's stream as the delta RequestOutput the gateway's routes expect
 * (the NatsBackend's inverse of the engine service's outputBatches): its choice's new text,
 * tokens, logprobs and finish; the batch marked `done` becomes the final output (no new text,
 * `finished` true). Keepalives never reach it (the subscriber drops them).
 */
export function tokenBatchOutput(
  batch: TokenBatch,
  promptTokenIds: readonly number[],
  numCachedTokens: number,
): RequestOutput {
  const hasChoice =
    batch.tokenIds.length > 0 ||
    batch.text !== '' ||
    batch.finishReason !== undefined ||
    batch.logprobs !== undefined;
  const outputs: CompletionOutput[] = hasChoice
    ? [
        {
          index: batch.index,
          text: batch.text,
          tokenIds: batch.tokenIds,
          cumulativeLogprob: batch.cumulativeLogprob ?? null,
          logprobs: batch.logprobs ?? null,
          finishReason: batch.finishReason ?? null,
          stopReason: batch.stopReason ?? null,
        },
      ]
    : [];
  return {
    requestId: batch.requestId,
    promptTokenIds,
    promptLogprobs: batch.promptLogprobs ?? null,
    outputs,
    finished: batch.done === true,
    numCachedTokens: batch.numCachedTokens ?? numCachedTokens,
  };
}
