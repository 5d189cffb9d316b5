import { loadAddon } from './addon.js';
import type { KvPool, NativeKvPool } from './kv-pool.js';

/** How RoPE pairs dimensions: llama2.c / GGUF rotate adjacent pairs, HF rotates halves. */
export type RopeStyle = 'interleaved' | 'neox';

export interface RopeOptions {
  /** Leading dims of each head that rotate (partial rotary); default headDim. Even. */
  rotDim?: number;
  theta: number;
  style: RopeStyle;
  /** rotDim/2 inverse frequencies with RoPE scaling folded in; overrides theta. */
  invFreq?: Float32Array;
}

/**
 * The sequences of one flattened batch: sequence s owns query rows [queryStart[s],
 * queryStart[s] + queryLen[s]) and has contextLen[s] tokens in the pool (its new ones included),
 * so its row i sits at position contextLen - queryLen + i and attends causally up to it.
 */
export interface AttentionBatchInput {
  queryStart: Int32Array;
  queryLen: Int32Array;
  contextLen: Int32Array;
  /** [numSeqs][maxBlocksPerSeq] block ids; entries past a sequence's blocks are ignored. */
  blockTables: Int32Array;
  maxBlocksPerSeq: number;
}

interface OpsAddon {
  ops: {
    isa(): string;
    rmsnorm(x: Float32Array, w: Float32Array, rows: number, dim: number, eps: number): Promise<Float32Array>;
    rope(
      x: Float32Array,
      positions: Int32Array,
      heads: number,
      headDim: number,
      rotDim: number,
      theta: number,
      style: number,
      invFreq: Float32Array | undefined,
    ): Promise<Float32Array>;
    swiglu(gate: Float32Array, up: Float32Array): Promise<Float32Array>;
    softmax(x: Float32Array, rows: number, cols: number): Promise<Float32Array>;
    argmax(x: Float32Array, rows: number, cols: number): Promise<Int32Array>;
    writeKv(
      pool: NativeKvPool,
      layer: number,
      k: Float32Array,
      v: Float32Array,
      slots: Int32Array,
    ): Promise<void>;
    pagedAttention(
      q: Float32Array,
      pool: NativeKvPool,
      layer: number,
      queryStart: Int32Array,
      queryLen: Int32Array,
      contextLen: Int32Array,
      blockTables: Int32Array,
      maxBlocksPerSeq: number,
      heads: number,
      scale: number,
    ): Promise<Float32Array>;
  };
}

const native = () => loadAddon<OpsAddon>().ops;

// All functions below check their arguments synchronously (TypeError for a wrong kind,
// RangeError for a wrong size or value), then run on the native thread pool and resolve with
// a new array; inputs are never modified and must not change until the promise settles.

/** The ISA the ops kernels use in this process (fixed at first use; PDSERVE_ISA forces lower). */
export function opsIsa(): 'avx512' | 'avx2' | 'portable' {
  return native().isa() as 'avx512' | 'avx2' | 'portable';
}

/** out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight, x [rows][dim]. */
export function rmsnorm(
  x: Float32Array,
  weight: Float32Array,
  rows: number,
  dim: number,
  eps: number,
): Promise<Float32Array> {
  return native().rmsnorm(x, weight, rows, dim, eps);
}

/** x [tokens][heads][headDim] rotated by positions[t] (tokens = positions.length). */
export function rope(
  x: Float32Array,
  positions: Int32Array,
  heads: number,
  headDim: number,
  opts: RopeOptions,
): Promise<Float32Array> {
  if (opts.style !== 'interleaved' && opts.style !== 'neox') {
    throw new TypeError(`rope style must be 'interleaved' or 'neox', got ${opts.style}`);
  }
  const style = opts.style === 'neox' ? 1 : 0;
  return native().rope(x, positions, heads, headDim, opts.rotDim ?? headDim, opts.theta, style, opts.invFreq);
}

/** silu(gate) * up, element-wise. */
export function swiglu(gate: Float32Array, up: Float32Array): Promise<Float32Array> {
  return native().swiglu(gate, up);
}

/** Row-wise softmax of x [rows][cols]. */
export function softmax(x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  return native().softmax(x, rows, cols);
}

/** Index of the first maximum of each row of x [rows][cols]. */
export function argmax(x: Float32Array, rows: number, cols: number): Promise<Int32Array> {
  return native().argmax(x, rows, cols);
}

/**
 * Writes k[t], v[t] ([tokens][kvHeads][headDim], tokens = slotMapping.length) of one layer
 * into pool slots slotMapping[t] = block * blockSize + offset (-1 skips the token). Resolves
 * once written; this is the one op that mutates its target.
 */
export function writeKv(
  pool: KvPool,
  layer: number,
  k: Float32Array,
  v: Float32Array,
  slotMapping: Int32Array,
): Promise<void> {
  return native().writeKv(pool.native, layer, k, v, slotMapping);
}

/**
 * softmax(q k^T * scale) v over the paged cache for every row of a mixed prefill/decode batch,
 * with GQA (query head h reads kv head h / (heads / kvHeads)). q is [tokens][heads][headDim];
 * scale defaults to 1/sqrt(headDim). Resolves with out [tokens][heads][headDim].
 */
export function pagedAttention(
  q: Float32Array,
  pool: KvPool,
  layer: number,
  batch: AttentionBatchInput,
  heads: number,
  scale = 1 / Math.sqrt(pool.layout.headDim),
): Promise<Float32Array> {
  const b = batch;
  return native().pagedAttention(
    q,
    pool.native,
    layer,
    b.queryStart,
    b.queryLen,
    b.contextLen,
    b.blockTables,
    b.maxBlocksPerSeq,
    heads,
    scale,
  );
}
