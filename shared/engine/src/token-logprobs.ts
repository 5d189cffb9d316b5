import type { TokenLogprobs } from './engine-core-output.js';
import { selectTopK, sortByValue } from './top-k-selection.js';

/**
 * Logprobs of one raw logits row (log-softmax): the given token with its rank (1 = most likely;
 * ties count as ahead), then the `topK` most likely tokens with ranks 1..topK. `ids` is a scratch
 * array of at least the row's length. Called by the Sampler for logprobs and prompt_logprobs.
 */
export function computeTokenLogprobs(
  row: Float32Array,
  tokenId: number,
  topK: number,
  ids: Int32Array,
): TokenLogprobs {
  const n = row.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < n; v++) if (row[v] > max) max = row[v];
  let sum = 0;
  for (let v = 0; v < n; v++) sum += Math.exp(row[v] - max);
  const logZ = max + Math.log(sum);
  const chosen = row[tokenId];
  let rank = 0;
  for (let v = 0; v < n; v++) if (row[v] >= chosen) rank++;
  const out: TokenLogprobs = { tokenIds: [tokenId], logprobs: [chosen - logZ], ranks: [rank] };
  if (topK > 0) {
    for (let v = 0; v < n; v++) ids[v] = v;
    selectTopK(row, ids, n, topK);
    sortByValue(row, ids, topK);
    for (let i = 0; i < topK; i++) {
      out.tokenIds.push(ids[i]);
      out.logprobs.push(row[ids[i]] - logZ);
      out.ranks.push(i + 1);
    }
  }
  return out;
}
