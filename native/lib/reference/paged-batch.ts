// Test helper: lays sequences out in a paged KV pool the way the engine would, with shuffled,
// non-contiguous block tables that grow step by step, and builds the flattened batch arrays.
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
  /** Slot of position p of the batch's sequence s. */
  slot(s: number, p: number): number;
}

/** Hands out blocks in random order and remembers each sequence's length and block table. */
export class PagedAllocator {
  private readonly free: number[];
  private readonly tables = new Map<number, number[]>();
  private readonly lengths = new Map<number, number>();

  constructor(
    readonly blockSize: number,
    numBlocks: number,
    rng: TestRandom,
  ) {
    this.free = rng.permutation(numBlocks);
  }

  /** Extends sequence id by n tokens, taking new blocks as needed. */
  grow(id: number, n: number): void {
    const len = (this.lengths.get(id) ?? 0) + n;
    const table = this.tables.get(id) ?? [];
    while (table.length * this.blockSize < len) {
      const b = this.free.pop();
      if (b === undefined) throw new RangeError('the pool is out of blocks');
      table.push(b);
    }
    this.tables.set(id, table);
    this.lengths.set(id, len);
  }

  /** One step in which each listed sequence appends queryLen tokens, in the listed order. */
  step(work: { seq: number; queryLen: number }[]): PagedBatch {
    for (const w of work) this.grow(w.seq, w.queryLen);
    const tables = work.map((w) => this.tables.get(w.seq)!);
    const maxBlocksPerSeq = Math.max(1, ...tables.map((t) => t.length)) + 1;
    const blockTables = new Int32Array(work.length * maxBlocksPerSeq).fill(-1);
    tables.forEach((t, s) => {
      blockTables.set(t, s * maxBlocksPerSeq);
    });
    const slot = (s: number, p: number) =>
      tables[s][Math.floor(p / this.blockSize)] * this.blockSize + (p % this.blockSize);
    const contextLen = Int32Array.from(work, (w) => this.lengths.get(w.seq)!);
    const queryLen = Int32Array.from(work, (w) => w.queryLen);
    const tokens = queryLen.reduce((a, b) => a + b, 0);
    const queryStart = new Int32Array(work.length);
    const positions = new Int32Array(tokens);
    const slotMapping = new Int32Array(tokens);
    for (let s = 0, row = 0; s < work.length; s++) {
      queryStart[s] = row;
      for (let i = 0; i < queryLen[s]; i++, row++) {
        positions[row] = contextLen[s] - queryLen[s] + i;
        slotMapping[row] = slot(s, positions[row]);
      }
    }
    return {
      tokens,
      queryStart,
      queryLen,
      contextLen,
      blockTables,
      maxBlocksPerSeq,
      positions,
      slotMapping,
      slot,
    };
  }
}

/** A single step over sequences that already hold contextLen - queryLen tokens each. */
export function pagedBatch(
  seqs: SeqSpec[],
  blockSize: number,
  numBlocks: number,
  rng: TestRandom,
): PagedBatch {
  const alloc = new PagedAllocator(blockSize, numBlocks, rng);
  seqs.forEach((s, i) => {
    alloc.grow(i, s.contextLen - s.queryLen);
  });
  return alloc.step(seqs.map((s, i) => ({ seq: i, queryLen: s.queryLen })));
}
