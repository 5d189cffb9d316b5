import type { ChunkRecord } from '../client/stream-record.js';

/**
 * How many output tokens each output-bearing chunk carried. Exact when every chunk has a count
 * from continuous usage. Otherwise `total` tokens (the final usage; the number of chunks when
 * the server sent no usage) are spread over the chunks: one each when they match, else in
 * proportion to each chunk's text length (at least one per chunk, largest remainders first),
 * since servers that batch tokens per event send proportionally more text.
 */
export function chunkTokenCounts(chunks: readonly ChunkRecord[], total: number): number[] {
  if (chunks.length > 0 && chunks.every((c) => c.tokens !== null && c.tokens > 0)) {
    return chunks.map((c) => c.tokens as number);
  }
  const n = chunks.length;
  if (total <= n) return chunks.map(() => 1);
  const spare = total - n;
  const chars = chunks.reduce((s, c) => s + c.chars, 0);
  const shares = chunks.map((c) => (chars > 0 ? (spare * c.chars) / chars : spare / n));
  const counts = shares.map((s) => 1 + Math.floor(s));
  let left = total - counts.reduce((s, c) => s + c, 0);
  const order = shares.map((s, i) => ({ i, r: s - Math.floor(s) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) counts[order[k].i]++;
  return counts;
}
