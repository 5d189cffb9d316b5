import type { CompletionOutput, RequestOutput } from '@pdserve/engine';
import type { TokenOutput } from '@pdserve/runtime';

function hasContent(o: CompletionOutput): boolean {
  return o.text !== '' || o.tokenIds.length > 0 || o.finishReason !== null;
}

function completionBatch(o: CompletionOutput): TokenOutput {
  return {
    index: o.index,
    tokenIds: o.tokenIds,
    text: o.text,
    ...(o.finishReason === null ? {} : { finishReason: o.finishReason }),
    ...(o.stopReason === null ? {} : { stopReason: o.stopReason }),
    ...(o.logprobs === null ? {} : { logprobs: o.logprobs }),
    ...(o.cumulativeLogprob === null ? {} : { cumulativeLogprob: o.cumulativeLogprob }),
  };
}

/**
 * One delta RequestOutput as the TokenBatch bodies of a token stream: one per choice that has
 * something new (text, tokens or a finish). Prompt logprobs and the cached-token count ride on
 * the first body; an output with only prompt logprobs becomes one empty body for choice 0.
 */
export function outputBatches(output: RequestOutput): TokenOutput[] {
  const bodies = output.outputs.filter(hasContent).map(completionBatch);
  const promptLogprobs = output.promptLogprobs;
  if (promptLogprobs !== null && promptLogprobs.length > 0) {
    if (bodies.length === 0) bodies.push({ index: 0, tokenIds: [], text: '' });
    bodies[0].promptLogprobs = promptLogprobs;
  }
  if (bodies.length > 0) bodies[0].numCachedTokens = output.numCachedTokens;
  return bodies;
}
