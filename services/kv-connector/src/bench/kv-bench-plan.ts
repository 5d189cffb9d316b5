import type { KvPoolLayout } from '@pdserve/native';

/** A model's KV shape (f32, 16-token blocks). */
export interface KvShape {
  name: string;
  layers: number;
  kvHeads: number;
  headDim: number;
}

export const SHAPES: readonly KvShape[] = [
  { name: '110m', layers: 12, kvHeads: 12, headDim: 64 },
  { name: '1b-gqa', layers: 22, kvHeads: 4, headDim: 64 },
];
export const TOKENS: readonly number[] = [1024, 8192, 32768];
export const BLOCK_SIZE = 16;

/** The paths compared on one transport: UCX_TLS for the raw binding and the ucx connector. */
export const UCX_PATHS = [
  { name: 'shm', tls: 'posix,sysv,cma,self' },
  { name: 'tcp', tls: 'tcp' },
] as const;
export type UcxPathName = (typeof UCX_PATHS)[number]['name'];

/** A pool of `shape` that holds `tokens` tokens. */
export function poolLayout(shape: KvShape, tokens: number): KvPoolLayout {
  return {
    numBlocks: Math.ceil(tokens / BLOCK_SIZE),
    blockSize: BLOCK_SIZE,
    layers: shape.layers,
    kvHeads: shape.kvHeads,
    headDim: shape.headDim,
    dtype: 'f32',
  };
}

/** Bytes of `tokens` tokens of KV in `shape` (K and V, every layer, f32). */
export function kvBytes(shape: KvShape, tokens: number): number {
  return tokens * shape.layers * 2 * shape.kvHeads * shape.headDim * 4;
}

/** Transfers per measurement: about `budget` bytes in all, at least `min`. */
export function repeats(bytes: number, budget: number, min: number): number {
  return Math.max(min, Math.round(budget / bytes));
}

/** One measured transfer size on one path. */
export interface KvBenchPoint {
  shape: string;
  tokens: number;
  bytes: number;
  transfers: number;
  gbps: number;
  latencyMs: number;
}
