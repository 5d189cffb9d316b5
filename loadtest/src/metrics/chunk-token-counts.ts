import type { ChunkRecord } from '../client/stream-record.js';

/**
 * How many output tokens each output-bearing chunk carried. Exact when every chunk has a count
 * from continuous usage. Otherwise `total` tokens (the final usage; the number of chunks when
 * the server sent no usage) are spread over the chunks: one each when they match, else in
 * proportion to each chunk's text length (at least one per chunk, rounding by largest remainder),
 * since servers that batch tokens per event send proportionally more text.
 */
export function chunkTokenCounts(chunks: readonly ChunkRecord[], total: number): number[] {
  if (chunks.length > 0 && chunks.every((c) => c.tokens !== null && c.tokens > 0)) {
    return chunks.map((c) => c.tokens as number);
  }
  const n = chunks.length;
  if (total <= n) return chunks.map(() => 1);
  const chars = chunks.reduce((s, c) => s + c.chars, 0);
  const ideal = chunks.map((c) => (chars > 0 ? (total * c.chars) / chars : total / n));
  const counts = ideal.map((x) => Math.max(1, Math.floor(x)));
  // Fix the sum: add where the ideal is furthest above the count, take where it is furthest below.
  for (let diff = total - counts.reduce((s, c) => s + c, 0); diff !== 0; diff += diff > 0 ? -1 : 1) {
    const i = pickIndex(ideal, counts, diff > 0);
    counts[i] += diff > 0 ? 1 : -1;
  }
  return counts;
}

function pickIndex(ideal: readonly number[], counts: readonly number[], add: boolean): number {
  let best = -1;
  for (let i = 0; i < counts.length; i++) {
    if (!add && counts[i] <= 1) continue;
    const gap = ideal[i] - counts[i];
    if (best < 0 || (add ? gap > ideal[best] - counts[best] : gap < ideal[best] - counts[best])) best = i;
  }
  return best;
}
