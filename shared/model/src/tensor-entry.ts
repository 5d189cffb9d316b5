import { TensorCodec } from './tensor-codec.js';
import type { DType, TensorMap } from './types.js';

/**
 * A tensor that writers pull when they reach it, so a model is never held twice in memory: the
 * header is written from name/dtype/shape, then `load()` is called once per tensor, in order.
 */
export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Bytes in `dtype`'s layout; must be exactly TensorCodec.byteLength(dtype, shape) long. */
  load(): Uint8Array;
}

/** Wraps the tensors of a map as entries, converting each to `dtype` (or `dtypeOf(name)`) on load. */
export function tensorEntries(
  tensors: TensorMap,
  dtype?: DType | ((name: string, current: DType) => DType),
): TensorEntry[] {
  return [...tensors].map(([name, t]) => {
    const target = typeof dtype === 'function' ? dtype(name, t.dtype) : (dtype ?? t.dtype);
    return { name, dtype: target, shape: t.shape, load: () => TensorCodec.convert(t, target).data };
  });
}
