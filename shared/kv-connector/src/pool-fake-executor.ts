import { FakeModelExecutor, type ModelExecutor, type ModelInput } from '@pdserve/engine';
import { KvPool } from '@pdserve/native';

/** Shape of a PoolFakeExecutor's fake model and pool. */
export interface PoolFakeExecutorOptions {
  vocabSize?: number;
  blockSize?: number;
  numBlocks?: number;
  layers?: number;
  kvHeads?: number;
  headDim?: number;
  /** Two fakes with different seeds are different "models". */
  seed?: number;
}

/**
 * TEST DOUBLE: FakeModelExecutor's model, but its "K/V" lives in a real shared-memory KvPool. For
 * every row it writes, in every layer's K and V of the row's slot, the token and position+1
 * followed by values derived from them; logits of a position hash the (token, position) pairs
 * read back from the pool through the block table. So a decode engine fed with transferred blocks
 * reproduces a colocated run exactly when, and only when, the transfer wrote the right bytes in
 * the right blocks. Used by the connector conformance suite (f32 pool; the engine finds `kvPool`).
 */
export class PoolFakeExecutor implements ModelExecutor {
  readonly vocabSize: number;
  readonly blockSize: number;
  readonly numBlocks: number;
  readonly kvPool: KvPool;
  readonly fake: FakeModelExecutor;
  private readonly slotFloats: number;
  private readonly blockFloats: number;
  private held: { skip: number; reached: () => void; gate: Promise<void> } | null = null;

  constructor(options: PoolFakeExecutorOptions = {}) {
    this.fake = new FakeModelExecutor({
      vocabSize: options.vocabSize ?? 64,
      blockSize: options.blockSize ?? 4,
      numBlocks: options.numBlocks ?? 32,
      seed: options.seed ?? 0,
    });
    this.vocabSize = this.fake.vocabSize;
    this.blockSize = this.fake.blockSize;
    this.numBlocks = this.fake.numBlocks;
    const layers = options.layers ?? 2;
    const kvHeads = options.kvHeads ?? 2;
    const headDim = options.headDim ?? 4;
    this.kvPool = new KvPool({
      numBlocks: this.numBlocks,
      blockSize: this.blockSize,
      layers,
      kvHeads,
      headDim,
      dtype: 'f32',
    });
    this.slotFloats = kvHeads * headDim;
    this.blockFloats = layers * 2 * this.blockSize * this.slotFloats;
  }

  /** TEST HOOK: lets `skip` steps run, then parks the next one before it computes; `release()` lets it go. */
  holdStep(skip = 0): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const reachedP = new Promise<void>((r) => {
      reached = r;
    });
    this.held = { skip, reached, gate };
    return { reached: reachedP, release };
  }

  async execute(input: ModelInput): Promise<Float32Array> {
    const held = this.held;
    if (held !== null && held.skip-- === 0) {
      this.held = null;
      held.reached();
      await held.gate;
    }
    await new Promise((resolve) => setImmediate(resolve));
    const kv = new Float32Array(this.kvPool.buffer());
    for (let t = 0; t < input.tokenIds.length; t++)
      this.writeSlot(kv, input.slotMapping[t], input.tokenIds[t], input.positions[t]);
    const logits = new Float32Array(input.logitsRows.length * this.vocabSize);
    let next = 0;
    for (let s = 0; s < input.queryStart.length && next < input.logitsRows.length; s++) {
      next = this.sequence(kv, input, s, logits, next);
    }
    return logits;
  }

  /** Greedy continuation of `prompt` straight from the fake model's definition (no engine). */
  referenceGreedy(prompt: readonly number[], maxTokens: number): number[] {
    const f = this.fake;
    let hash = f.initialHash;
    prompt.forEach((t, p) => {
      hash = f.extendHash(hash, t, p);
    });
    const out: number[] = [];
    for (let pos = prompt.length; out.length < maxTokens; pos++) {
      const logits = f.logitsForHash(hash);
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
      out.push(best);
      hash = f.extendHash(hash, best, pos);
    }
    return out;
  }

  /** The bytes of one block of the pool (a copy). */
  blockBytes(blockId: number): Uint8Array {
    const n = this.kvPool.blockBytes;
    return new Uint8Array(this.kvPool.buffer(), blockId * n, n).slice();
  }

  close(): void {
    this.kvPool.close();
  }

  private writeSlot(kv: Float32Array, slot: number, token: number, position: number): void {
    const block = Math.floor(slot / this.blockSize);
    const offset = slot % this.blockSize;
    for (let lk = 0; lk < this.blockFloats / (this.blockSize * this.slotFloats); lk++) {
      const base = block * this.blockFloats + (lk * this.blockSize + offset) * this.slotFloats;
      kv[base] = token;
      kv[base + 1] = position + 1;
      for (let j = 2; j < this.slotFloats; j++) kv[base + j] = (token * 31 + position * 7 + lk * 3 + j) % 997;
    }
  }

  private sequence(
    kv: Float32Array,
    input: ModelInput,
    s: number,
    logits: Float32Array,
    next: number,
  ): number {
    const { queryStart, queryLen, contextLen, blockTables, maxBlocksPerSeq, logitsRows } = input;
    const f = this.fake;
    const firstRow = queryStart[s];
    const endRow = firstRow + queryLen[s];
    const firstPos = contextLen[s] - queryLen[s];
    let hash = f.initialHash;
    for (let p = 0; p < contextLen[s] && next < logitsRows.length && logitsRows[next] < endRow; p++) {
      const block = blockTables[s * maxBlocksPerSeq + Math.floor(p / this.blockSize)];
      // Layer 0's K of the slot: token, position + 1 (0: never written).
      const base = block * this.blockFloats + (p % this.blockSize) * this.slotFloats;
      const pos = kv[base + 1] - 1;
      hash = f.extendHash(hash, kv[base], pos === p ? p : -1 - p);
      const row = firstRow + p - firstPos;
      if (row >= firstRow && logitsRows[next] === row) {
        f.logitsForHash(hash, logits.subarray(next * this.vocabSize, (next + 1) * this.vocabSize));
        next++;
      }
    }
    return next;
  }
}
