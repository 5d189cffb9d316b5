import { EngineStateError, InvalidModelInputError } from './errors.js';
import type { ModelExecutor, ModelInput } from './model-executor.js';

/** Shape and behaviour of the fake model. */
export interface FakeModelExecutorOptions {
  vocabSize?: number;
  blockSize?: number;
  numBlocks?: number;
  /** Changes every logit; two fakes with different seeds are different "models". */
  seed?: number;
  /** Resolve after this many ms (0: after setImmediate, like a runner thread finishing). */
  delayMs?: number;
  /** Logits are uniform in [0, logitScale): larger is more peaked. */
  logitScale?: number;
}

/** What the fake has computed so far (for tests that count work). */
export interface FakeModelExecutorStats {
  steps: number;
  tokensComputed: number;
  logitsRowsComputed: number;
}

function mix32(h: number, x: number): number {
  let k = Math.imul(x, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A test double for the native runner: a "model" whose logits at a position are a hash of the
 * (token, position) pairs it can reach through the KV cache. `execute` first writes every row's
 * token and position into its slot (slotMapping), like the runner writes K/V, then for each wanted
 * row hashes positions 0..p read through the sequence's block table. So output is a function of
 * the sequence's true history only if the engine's KV bookkeeping is right: a wrong block table,
 * a stale or evicted prefix-cache block, a skipped chunk or a wrong slot changes the logits.
 * Malformed input (lengths, out-of-range blocks or slots) throws InvalidModelInputError.
 */
export class FakeModelExecutor implements ModelExecutor {
  readonly vocabSize: number;
  readonly blockSize: number;
  readonly numBlocks: number;
  readonly stats: FakeModelExecutorStats = { steps: 0, tokensComputed: 0, logitsRowsComputed: 0 };
  /** Token written to each slot, -1 where nothing was written. */
  readonly slotTokens: Int32Array;
  /** Position written to each slot, -1 where nothing was written. */
  readonly slotPositions: Int32Array;
  private readonly seed: number;
  private readonly delayMs: number;
  private readonly logitScale: number;
  private running = false;

  constructor(options: FakeModelExecutorOptions = {}) {
    this.vocabSize = options.vocabSize ?? 64;
    this.blockSize = options.blockSize ?? 16;
    this.numBlocks = options.numBlocks ?? 64;
    this.seed = options.seed ?? 0;
    this.delayMs = options.delayMs ?? 0;
    this.logitScale = options.logitScale ?? 8;
    this.slotTokens = new Int32Array(this.numBlocks * this.blockSize).fill(-1);
    this.slotPositions = new Int32Array(this.numBlocks * this.blockSize).fill(-1);
  }

  /** True while a step is being computed (between execute() and its settling). */
  get busy(): boolean {
    return this.running;
  }

  async execute(input: ModelInput): Promise<Float32Array> {
    if (this.running) throw new EngineStateError('execute() called while a step is running');
    this.running = true;
    try {
      this.validate(input);
      await new Promise((resolve) =>
        this.delayMs > 0 ? setTimeout(resolve, this.delayMs) : setImmediate(resolve),
      );
      return this.compute(input);
    } finally {
      this.running = false;
    }
  }

  /** The logits row of a history hash (exposed so tests can predict outputs independently). */
  logitsForHash(hash: number, out: Float32Array = new Float32Array(this.vocabSize)): Float32Array {
    for (let v = 0; v < this.vocabSize; v++) {
      out[v] = (finalize32(mix32(hash, v)) / 4294967296) * this.logitScale;
    }
    return out;
  }

  /** The history hash after appending (token, position) to `hash` (start from `initialHash`). */
  extendHash(hash: number, token: number, position: number): number {
    return mix32(mix32(hash, token), position);
  }

  get initialHash(): number {
    return finalize32(this.seed ^ 0x2545f491);
  }

  private compute(input: ModelInput): Float32Array {
    const numRows = input.tokenIds.length;
    for (let t = 0; t < numRows; t++) {
      this.slotTokens[input.slotMapping[t]] = input.tokenIds[t];
      this.slotPositions[input.slotMapping[t]] = input.positions[t];
    }
    const logits = new Float32Array(input.logitsRows.length * this.vocabSize);
    let next = 0;
    for (let s = 0; s < input.queryStart.length && next < input.logitsRows.length; s++) {
      next = this.computeSequence(input, s, logits, next);
    }
    this.stats.steps++;
    this.stats.tokensComputed += numRows;
    this.stats.logitsRowsComputed += input.logitsRows.length;
    return logits;
  }

  /** Hashes sequence s's history through its block table, emitting the wanted rows; returns the next logits row. */
  private computeSequence(input: ModelInput, s: number, logits: Float32Array, next: number): number {
    const { queryStart, queryLen, contextLen, blockTables, maxBlocksPerSeq, logitsRows } = input;
    const firstRow = queryStart[s];
    const endRow = firstRow + queryLen[s];
    const firstPos = contextLen[s] - queryLen[s];
    let hash = this.initialHash;
    for (let p = 0; p < contextLen[s] && next < logitsRows.length && logitsRows[next] < endRow; p++) {
      const block = blockTables[s * maxBlocksPerSeq + Math.floor(p / this.blockSize)];
      const slot = block * this.blockSize + (p % this.blockSize);
      // A slot holding another position (or nothing) poisons the hash: the output changes.
      hash = this.extendHash(hash, this.slotTokens[slot], this.slotPositions[slot] === p ? p : -1 - p);
      const row = firstRow + p - firstPos;
      if (row >= firstRow && logitsRows[next] === row) {
        this.logitsForHash(hash, logits.subarray(next * this.vocabSize, (next + 1) * this.vocabSize));
        next++;
      }
    }
    return next;
  }

  private validate(input: ModelInput): void {
    const n = input.tokenIds.length;
    const seqs = input.queryStart.length;
    const fail = (msg: string): never => {
      throw new InvalidModelInputError(msg);
    };
    if (input.positions.length !== n || input.slotMapping.length !== n) fail('row arrays differ in length');
    if (input.queryLen.length !== seqs || input.contextLen.length !== seqs)
      fail('sequence arrays differ in length');
    if (input.blockTables.length !== seqs * input.maxBlocksPerSeq)
      fail('blockTables is not [numSeqs][maxBlocksPerSeq]');
    let row = 0;
    for (let s = 0; s < seqs; s++) {
      if (input.queryStart[s] !== row || input.queryLen[s] < 1) fail(`sequence ${s} rows are not contiguous`);
      row += input.queryLen[s];
      if (input.contextLen[s] < input.queryLen[s]) fail(`sequence ${s} has contextLen < queryLen`);
      if (Math.ceil(input.contextLen[s] / this.blockSize) > input.maxBlocksPerSeq)
        fail(`sequence ${s} overflows its block table`);
    }
    if (row !== n) fail('queryLen does not cover every row');
    for (const b of input.blockTables) if (b < 0 || b >= this.numBlocks) fail(`block id ${b} out of range`);
    for (const slot of input.slotMapping)
      if (slot < 0 || slot >= this.slotTokens.length) fail(`slot ${slot} out of range`);
    for (const t of input.tokenIds) if (t < 0 || t >= this.vocabSize) fail(`token ${t} out of range`);
    for (let i = 0; i < input.logitsRows.length; i++) {
      const r = input.logitsRows[i];
      if (r < 0 || r >= n || (i > 0 && r <= input.logitsRows[i - 1]))
        fail('logitsRows must be ascending rows');
    }
  }
}
