// Bit-exact TypeScript versions of the native element conversions (native/src/kernels/dtype.h)
// and ggml's q8_0 block format: references for the kernel tests and helpers for loaders.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Number of values in one q8_0 block. */
export const Q8_BLOCK = 32;
/** Bytes of one q8_0 block: an f16 scale then 32 int8. */
export const Q8_BLOCK_BYTES = 34;

/** f32 -> bf16 bits, round to nearest even, NaN kept quiet (as f32ToBf16 in dtype.h). */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  const u = u32[0];
  if ((u & 0x7fffffff) >>> 0 > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bf16 bits -> f32 value. */
export function bf16ToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** f16 bits -> f32 value (subnormals, infinities and NaN included). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** f32 -> f16 bits, round to nearest even (as f32ToF16 in dtype.h and F16C). */
export function f32ToF16(x: number): number {
  f32[0] = x;
  const u = u32[0];
  const sign = (u >>> 16) & 0x8000;
  const e8 = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (e8 === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const exp = e8 - 127 + 15;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let h = sign | (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return h;
}

/** Encodes f32 values as little-endian bf16 (size 2 per value) or f16 bytes. */
export function encodeHalf(values: Float32Array, dtype: 'bf16' | 'f16'): Uint8Array {
  const out = new Uint16Array(values.length);
  const conv = dtype === 'bf16' ? f32ToBf16 : f32ToF16;
  for (let i = 0; i < values.length; i++) out[i] = conv(values[i]);
  return new Uint8Array(out.buffer);
}

/** Decodes little-endian bf16 or f16 bytes to f32 values. */
export function decodeHalf(bytes: Uint8Array, dtype: 'bf16' | 'f16'): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 2);
  const conv = dtype === 'bf16' ? bf16ToF32 : f16ToF32;
  for (let i = 0; i < out.length; i++) out[i] = conv(view.getUint16(i * 2, true));
  return out;
}

/** C's roundf: halves away from zero (Math.round sends -2.5 to -2). */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/**
 * ggml's q8_0 quantizer (quantize_row_q8_0_ref) in f32 arithmetic: per block of 32,
 * d = amax / 127, q = roundf(x * (1 / d)), the scale stored as f16. values.length % 32 === 0.
 */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % Q8_BLOCK !== 0) throw new RangeError('q8_0 needs a multiple of 32 values');
  const out = new Uint8Array((values.length / Q8_BLOCK) * Q8_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / Q8_BLOCK; b++) {
    let amax = 0;
    for (let j = 0; j < Q8_BLOCK; j++) amax = Math.max(amax, Math.abs(values[b * Q8_BLOCK + j]));
    const d = Math.fround(amax / 127);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    view.setUint16(b * Q8_BLOCK_BYTES, f32ToF16(d), true);
    for (let j = 0; j < Q8_BLOCK; j++) {
      view.setInt8(b * Q8_BLOCK_BYTES + 2 + j, roundHalfAway(Math.fround(values[b * Q8_BLOCK + j] * id)));
    }
  }
  return out;
}

/** q8_0 blocks -> f32 values (f16 scale times int8, in f32). */
export function dequantizeQ8_0(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % Q8_BLOCK_BYTES !== 0) throw new RangeError('q8_0 data must be whole 34-byte blocks');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = bytes.byteLength / Q8_BLOCK_BYTES;
  const out = new Float32Array(blocks * Q8_BLOCK);
  for (let b = 0; b < blocks; b++) {
    const d = f16ToF32(view.getUint16(b * Q8_BLOCK_BYTES, true));
    for (let j = 0; j < Q8_BLOCK; j++)
      out[b * Q8_BLOCK + j] = Math.fround(d * view.getInt8(b * Q8_BLOCK_BYTES + 2 + j));
  }
  return out;
}
