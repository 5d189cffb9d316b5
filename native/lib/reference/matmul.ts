// Plain TypeScript reference for Linear: what the storage holds, and y = x W^T + bias.
import { bf16ToF32, decodeHalf, dequantizeQ8_0, f32ToBf16, quantizeQ8_0 } from '../dtype-convert.js';
import type { DType, LinearStore } from '../linear.js';

/** Source bytes [n][k] in srcDtype decoded to f32 (q8_0: scale * q per block). */
export function decodeSource(src: Uint8Array, srcDtype: DType): Float32Array {
  if (srcDtype === 'q8_0') return dequantizeQ8_0(src);
  if (srcDtype === 'f32') return new Float32Array(src.slice().buffer);
  return decodeHalf(src, srcDtype);
}

/**
 * The f32 values of W as Linear stores it: f32 unchanged, bf16 rounded to nearest even,
 * q8_0 quantized by ggml's rule (a q8_0 source is kept bit for bit).
 */
export function storedWeights(src: Uint8Array, srcDtype: DType, store: LinearStore): Float32Array {
  if (store === 'q8_0')
    return dequantizeQ8_0(srcDtype === 'q8_0' ? src : quantizeQ8_0(decodeSource(src, srcDtype)));
  const w = decodeSource(src, srcDtype);
  if (store === 'bf16') for (let i = 0; i < w.length; i++) w[i] = bf16ToF32(f32ToBf16(w[i]));
  return w;
}

/** y[m][n] = sum_k x[m][k] * w[n][k] (+ bias[n]), accumulated in f64 (the exact side of the test). */
export function referenceMatmul(
  x: Float32Array,
  m: number,
  w: Float32Array,
  n: number,
  k: number,
  bias?: Float32Array,
): Float64Array {
  const y = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      let s = bias ? bias[c] : 0;
      const xo = r * k;
      const wo = c * k;
      for (let j = 0; j < k; j++) s += x[xo + j] * w[wo + j];
      y[r * n + c] = s;
    }
  }
  return y;
}
