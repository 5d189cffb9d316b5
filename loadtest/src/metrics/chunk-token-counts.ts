import type { ChunkRecord } from '../client/stream-record.js';

/**
 * How many output tokens each chunk (one network read) carried. Exact when every chunk has a
 * count from continuous usage. Otherwise `total` tokens (the final usage) are spread over the
 * chunks in proportion to their text, each getting at least one token per SSE event in it
 * (rounding by largest remainder); with fewer tokens than that, one per event.
 */
export function chunkTokenCounts(chunks: readonly ChunkRecord[], total: number): number[] {
  if (chunks.length > 0 && chunks.every((c) => c.tokens !== null && c.tokens > 0)) {
    return chunks.map((c) => c.tokens as number);
  }
  const mins = chunks.map((c) => Math.max(1, c.events));
  if (total <= mins.reduce((s, m) => s + m, 0)) return mins;
  const chars = chunks.reduce((s, c) => s + c.chars, 0);
  const ideal = chunks.map((c) => (chars > 0 ? (total * c.chars) / chars : total / chunks.length));
  const counts = ideal.map((x, i) => Math.max(mins[i], Math.floor(x)));
  // Fix the sum: add where the ideal is furthest above the count, take where it is furthest below.
  for (let diff = total - counts.reduce((s, c) => s + c, 0); diff !== 0; diff += diff > 0 ? -1 : 1) {
    const i = pickIndex(ideal, counts, mins, diff > 0);
    counts[i] += diff > 0 ? 1 : -1;
  }
  return counts;
}

function pickIndex(
  ideal: readonly number[],
  counts: readonly number[],
  mins: readonly number[],
  add: boolean,
) {
  let best = -1;
  for (let i = 0; i < counts.length; i++) {
    if (!add && counts[i] <= mins[i]) continue;
    const gap = ideal[i] - counts[i];
    if (best < 0 || (add ? gap > ideal[best] - counts[best] : gap < ideal[best] - counts[best])) best = i;
  }
  return best;
}
