import { HalfFloat } from './half-float.js';
import type { DType, TensorData } from './types.js';

/** ggml's q8_0: 32 values per block, stored as an f16 scale followed by 32 int8. */
export const Q8_0_BLOCK = 32;
export const Q8_0_BLOCK_BYTES = 34;

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Views bytes as 32-bit words, copying only when the view is not 4-byte aligned. */
function words(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0)
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  return new Uint32Array(bytes.slice().buffer);
}

function halves(bytes: Uint8Array): Uint16Array {
  if (bytes.byteOffset % 2 === 0)
    return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 1);
  return new Uint16Array(bytes.slice().buffer);
}

function quantizeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0)
    throw new RangeError(`q8_0 needs a multiple of 32 values, got ${values.length}`);
  const blocks = values.length / Q8_0_BLOCK;
  const out = new Uint8Array(blocks * Q8_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let i = 0; i < Q8_0_BLOCK; i++) amax = Math.max(amax, Math.abs(values[base + i]));
    // As ggml's reference: d = amax/127 in f32, q = round(x * (1/d)), d stored as f16.
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    f32Scratch[0] = d;
    const o = b * Q8_0_BLOCK_BYTES;
    view.setUint16(o, HalfFloat.f32BitsToF16(u32Scratch[0]), true);
    for (let i = 0; i < Q8_0_BLOCK; i++) {
      const v = Math.fround(values[base + i] * id);
      view.setInt8(o + 2 + i, Math.sign(v) * Math.floor(Math.abs(v) + 0.5));
    }
  }
  return out;
}

function dequantizeQ8_0(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < count / Q8_0_BLOCK; b++) {
    const o = b * Q8_0_BLOCK_BYTES;
    const d = HalfFloat.f16ToF32(view.getUint16(o, true));
    for (let i = 0; i < Q8_0_BLOCK; i++) out[b * Q8_0_BLOCK + i] = d * view.getInt8(o + 2 + i);
  }
  return out;
}

/** Sizes of the dtypes and conversions between them; all little-endian. */
export const TensorCodec = {
  elementCount,

  /** Bytes that `shape` takes in `dtype` (q8_0 needs the innermost dimension to be a multiple of 32). */
  byteLength(dtype: DType, shape: readonly number[]): number {
    const n = elementCount(shape);
    switch (dtype) {
      case 'f32':
        return n * 4;
      case 'f16':
      case 'bf16':
        return n * 2;
      case 'q8_0':
        return (n / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
    }
  },

  /** Whether `dtype` can hold `shape` (q8_0 blocks never straddle rows). */
  fits(dtype: DType, shape: readonly number[]): boolean {
    return dtype !== 'q8_0' || (shape[shape.length - 1] ?? 0) % Q8_0_BLOCK === 0;
  },

  /** Decodes any dtype to float32 (a fresh array unless the tensor is an aligned f32 view). */
  toF32(t: TensorData): Float32Array {
    const n = elementCount(t.shape);
    switch (t.dtype) {
      case 'f32': {
        const w = words(t.data);
        return new Float32Array(w.buffer, w.byteOffset, n);
      }
      case 'bf16': {
        const h = halves(t.data);
        const out = new Uint32Array(n);
        for (let i = 0; i < n; i++) out[i] = h[i] << 16;
        return new Float32Array(out.buffer);
      }
      case 'f16': {
        const h = halves(t.data);
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = HalfFloat.f16ToF32(h[i]);
        return out;
      }
      case 'q8_0':
        return dequantizeQ8_0(t.data, n);
    }
  },

  /** Encodes float32 values as `dtype` bytes. */
  fromF32(values: Float32Array, dtype: DType): Uint8Array {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    switch (dtype) {
      case 'f32':
        return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      case 'bf16': {
        const out = new Uint16Array(values.length);
        for (let i = 0; i < values.length; i++) out[i] = HalfFloat.f32BitsToBf16(bits[i]);
        return new Uint8Array(out.buffer);
      }
      case 'f16': {
        const out = new Uint16Array(values.length);
        for (let i = 0; i < values.length; i++) out[i] = HalfFloat.f32BitsToF16(bits[i]);
        return new Uint8Array(out.buffer);
      }
      case 'q8_0':
        return quantizeQ8_0(values);
    }
  },

  /** Re-encodes a tensor in another dtype (returns it unchanged when the dtype already matches). */
  convert(t: TensorData, dtype: DType): TensorData {
    if (t.dtype === dtype) return t;
    return { dtype, shape: t.shape, data: TensorCodec.fromF32(TensorCodec.toF32(t), dtype) };
  },
};
