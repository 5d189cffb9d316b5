// Test helper: lays sequences out in a paged KV pool the way the engine would, with shuffled,
// non-contiguous block tables, and builds the flattened batch arrays for them.
import type { TestRandom } from './random.js';

/** One sequence of a step: contextLen tokens in the cache after the step, queryLen of them new. */
export interface SeqSpec {
  contextLen: number;
  queryLen: number;
}

export interface PagedBatch {
  tokens: number;
  queryStart: Int32Array;
  queryLen: Int32Array;
  contextLen: Int32Array;
  /** [numSeqs][maxBlocksPerSeq], unused entries -1. */
  blockTables: Int32Array;
  maxBlocksPerSeq: number;
  /** Per batch row: its position and its slot. */
  positions: Int32Array;
  slotMapping: Int32Array;
  /** Slot of position p of sequence s. */
  slot(s: number, p: number): number;
}

/** Assigns each sequence ceil(contextLen / blockSize) distinct random blocks out of numBlocks. */
export function pagedBatch(
  seqs: SeqSpec[],
  blockSize: number,
  numBlocks: number,
  rng: TestRandom,
): PagedBatch {
  const need = seqs.map((s) => Math.ceil(s.contextLen / blockSize));
  const total = need.reduce((a, b) => a + b, 0);
  if (total > numBlocks) throw new RangeError(`needs ${total} blocks, the pool has ${numBlocks}`);
  const maxBlocksPerSeq = Math.max(1, ...need) + 1;
  const free = rng.permutation(numBlocks);
  const blockTables = new Int32Array(seqs.length * maxBlocksPerSeq).fill(-1);
  let next = 0;
  seqs.forEach((_, s) => {
    for (let i = 0; i < need[s]; i++) blockTables[s * maxBlocksPerSeq + i] = free[next++];
  });
  const slot = (s: number, p: number) =>
    blockTables[s * maxBlocksPerSeq + Math.floor(p / blockSize)] * blockSize + (p % blockSize);
  const tokens = seqs.reduce((a, s) => a + s.queryLen, 0);
  const queryStart = new Int32Array(seqs.length);
  const positions = new Int32Array(tokens);
  const slotMapping = new Int32Array(tokens);
  let row = 0;
  seqs.forEach((spec, s) => {
    queryStart[s] = row;
    for (let i = 0; i < spec.queryLen; i++, row++) {
      positions[row] = spec.contextLen - spec.queryLen + i;
      slotMapping[row] = slot(s, positions[row]);
    }
  });
  return {
    tokens,
    queryStart,
    queryLen: Int32Array.from(seqs, (s) => s.queryLen),
    contextLen: Int32Array.from(seqs, (s) => s.contextLen),
    blockTables,
    maxBlocksPerSeq,
    positions,
    slotMapping,
    slot,
  };
}
