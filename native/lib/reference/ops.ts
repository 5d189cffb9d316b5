// Plain TypeScript references for the native ops (native/src/kernels/ops.h), in f64 where it
// matters: the exact side of the kernel tests.
import type { RopeOptions } from '../ops.js';

/** out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w. */
export function refRmsnorm(
  x: Float32Array,
  w: Float32Array,
  rows: number,
  dim: number,
  eps: number,
): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i] ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) out[r * dim + i] = x[r * dim + i] * inv * w[i];
  }
  return out;
}

/** theta^(-2i/rotDim) for i < rotDim/2, rounded to f32 as the native side does. */
export function ropeInvFreq(rotDim: number, theta: number): Float32Array {
  const f = new Float32Array(rotDim / 2);
  for (let i = 0; i < rotDim / 2; i++) f[i] = 1 / theta ** ((2 * i) / rotDim);
  return f;
}

/** x [tokens][heads][headDim] with the first rotDim dims of every head rotated by positions[t]. */
export function refRope(
  x: Float32Array,
  positions: Int32Array,
  heads: number,
  headDim: number,
  opts: RopeOptions,
): Float32Array {
  const rot = opts.rotDim ?? headDim;
  const half = rot / 2;
  const freq = opts.invFreq ?? ropeInvFreq(rot, opts.theta);
  const out = Float32Array.from(x);
  for (let t = 0; t < positions.length; t++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(positions[t] * freq[i]);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      for (let h = 0; h < heads; h++) {
        const o = (t * heads + h) * headDim;
        const [a, b] = opts.style === 'interleaved' ? [o + 2 * i, o + 2 * i + 1] : [o + i, o + i + half];
        const xa = x[a];
        const xb = x[b];
        out[a] = xa * c - xb * s;
        out[b] = xb * c + xa * s;
      }
    }
  }
  return out;
}

export function refSwiglu(gate: Float32Array, up: Float32Array): Float32Array {
  return gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
}

export function refSoftmax(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const m = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - m);
    for (let i = 0; i < cols; i++) out[r * cols + i] = Math.exp(row[i] - m) / sum;
  }
  return out;
}

/** Index of the first maximum of each row. */
export function refArgmax(x: Float32Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let i = 1; i < cols; i++) if (x[r * cols + i] > x[r * cols + best]) best = i;
    out[r] = best;
  }
  return out;
}

/**
 * Causal attention of one sequence over contiguous K/V: q [rows][heads][d] at positions
 * first..first+rows-1, k and v [>= first+rows][kvHeads][d]. Returns [rows][heads][d].
 */
export function refAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  rows: number,
  first: number,
  heads: number,
  kvHeads: number,
  d: number,
  scale: number,
): Float32Array {
  const out = new Float32Array(rows * heads * d);
  const group = heads / kvHeads;
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < heads; h++) {
      const qo = (r * heads + h) * d;
      const kvh = Math.floor(h / group);
      const n = first + r + 1;
      const scores = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += q[qo + i] * k[(j * kvHeads + kvh) * d + i];
        scores[j] = s * scale;
      }
      const m = Math.max(...scores);
      let sum = 0;
      for (let j = 0; j < n; j++) sum += scores[j] = Math.exp(scores[j] - m);
      for (let i = 0; i < d; i++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += scores[j] * v[(j * kvHeads + kvh) * d + i];
        out[qo + i] = acc / sum;
      }
    }
  }
  return out;
}
