import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { cpuInfo } from './cpu.js';
import { dequantizeQ8_0, encodeHalf, quantizeQ8_0 } from './dtype-convert.js';
import { type DType, Linear, type LinearStore, quantizeQ8_0Native } from './linear.js';
import { referenceMatmul, storedWeights } from './reference/matmul.js';

const seed = randomInt(2 ** 31);
/** mulberry32: small, seedable; the seed is printed in every failure message. */
function rng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(seed);
const where = (s: string) => `${s} (seed ${seed}; rerun with the same seed to reproduce)`;

function randomF32(count: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

/** Source bytes of W[n][k] in srcDtype from random values. */
function randomSource(n: number, k: number, srcDtype: DType): Uint8Array {
  const values = randomF32(n * k, 0.5);
  if (srcDtype === 'f32') return new Uint8Array(values.buffer);
  if (srcDtype === 'q8_0') return quantizeQ8_0(values);
  return encodeHalf(values, srcDtype);
}

/**
 * Kernel variants to cover: every ISA this machine runs (forced through PDSERVE_ISA at create)
 * and, on AVX-512, the large-M paths forced down to M = 1 (PDSERVE_LINEAR_GEMM_MIN) with AMX
 * and with oneDNN (PDSERVE_LINEAR_GEMM), so each kernel meets every shape and M.
 */
function variants(): Record<string, string>[] {
  const f = cpuInfo().features;
  const out: Record<string, string>[] = [{ PDSERVE_ISA: 'portable' }];
  if (f.avx2 && f.fma && f.f16c) out.push({ PDSERVE_ISA: 'avx2' });
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512bf16 && f.fma) {
    out.push({ PDSERVE_ISA: 'avx512' }, { PDSERVE_ISA: 'avx512', PDSERVE_LINEAR_GEMM_MIN: '1' });
    out.push({ PDSERVE_ISA: 'avx512', PDSERVE_LINEAR_GEMM_MIN: '1', PDSERVE_LINEAR_GEMM: 'onednn' });
  }
  return out;
}

function createWith(
  env: Record<string, string>,
  n: number,
  k: number,
  src: DType,
  bytes: Uint8Array,
  store: LinearStore,
) {
  const saved = Object.keys(env).map((key) => [key, process.env[key]] as const);
  Object.assign(process.env, env);
  try {
    return Linear.create(n, k, src, bytes, store);
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Tolerance on max |y - ref| with ref in f64 over the stored weights. f32 activations: f32
 * accumulation errors grow like sqrt(k) * 2^-24 * |x||w| per term; 1e-5 * sqrt(k) * max|x| max|w|
 * leaves a wide margin yet a single dropped or misplaced term (~|x||w|) fails. Kernels that round
 * x to bf16 (AMX paths: relative error <= 2^-8 per element, random-walk sum ~ 0.2 * 2^-8 sqrt(k))
 * or quantize it to int8 per 32-block (VNNI q8_0: error <= amax / 254 per element, as llama.cpp)
 * get 2^-6 * sqrt(k) * max|x| max|w|, still far below the error of a wrong term.
 */
function tolerance(kernel: string, k: number, x: Float32Array, w: Float32Array): number {
  const c = /amx|onednn-bf16|vnni/.test(kernel) ? 2 ** -6 : 1e-5;
  return c * Math.sqrt(k) * maxAbs(x) * maxAbs(w);
}

const SHAPES: [number, number, DType][] = [
  [1, 32, 'f32'],
  [37, 96, 'f16'],
  [67, 160, 'bf16'],
  [129, 224, 'q8_0'],
  [200, 544, 'f32'],
];
const MS = [1, 3, 17, 64, 130];
const STORES: LinearStore[] = ['f32', 'bf16', 'q8_0'];

test('forward matches the reference for every kernel, storage dtype, shape, M and bias', async () => {
  const vars = variants();
  for (const store of STORES) {
    for (const [n, k, srcDtype] of SHAPES) {
      const src = randomSource(n, k, srcDtype);
      const w = storedWeights(src, srcDtype, store);
      const linears = vars.map((env) => createWith(env, n, k, srcDtype, src, store));
      for (const [mi, m] of MS.entries()) {
        const x = randomF32(m * k, 2);
        const bias = mi % 2 === 1 ? randomF32(n) : undefined;
        const ref = referenceMatmul(x, m, w, n, k, bias);
        for (const [li, lin] of linears.entries()) {
          const y = await lin.forward(x, m, bias);
          const kernel = lin.kernelName(m);
          assert.ok(kernel.length > 0);
          let err = 0;
          for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
          const tol = tolerance(kernel, k, x, w);
          const what = `${JSON.stringify(vars[li])} ${kernel} store=${store} src=${srcDtype} n=${n} k=${k} m=${m} bias=${!!bias}`;
          assert.ok(err <= tol, where(`${what}: max abs err ${err} > ${tol}`));
        }
      }
    }
  }
});

test('a larger shape crosses panels, threads and the GEMM paths on every ISA', async () => {
  const [n, k] = [300, 1056];
  for (const store of STORES) {
    const src = randomSource(n, k, 'f32');
    const w = storedWeights(src, 'f32', store);
    for (const env of variants()) {
      const lin = createWith(env, n, k, 'f32', src, store);
      for (const m of [1, 2, 64]) {
        const x = randomF32(m * k);
        const ref = referenceMatmul(x, m, w, n, k);
        const y = await lin.forward(x, m);
        let err = 0;
        for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
        const tol = tolerance(lin.kernelName(m), k, x, w);
        assert.ok(
          err <= tol,
          where(`${env.PDSERVE_ISA} ${lin.kernelName(m)} ${store} m=${m}: err ${err} > ${tol}`),
        );
      }
    }
  }
});

test('concurrent forwards (libuv threads, pool, oneDNN team) agree with lone ones', async () => {
  const [n, k] = [96, 256];
  const src = randomSource(n, k, 'f32');
  const cases: [LinearStore, Record<string, string>][] = [
    ['bf16', {}],
    ['q8_0', {}],
    ['f32', { PDSERVE_LINEAR_GEMM: 'onednn' }],
  ];
  for (const [store, env] of cases) {
    const lin = createWith(env, n, k, 'f32', src, store);
    for (const m of [1, 40]) {
      const xs = [0, 1, 2, 3].map(() => randomF32(m * k));
      const alone: Float32Array[] = [];
      for (const x of xs) alone.push(await lin.forward(x, m));
      const together = await Promise.all([...xs, ...xs].map((x) => lin.forward(x, m)));
      for (let i = 0; i < together.length; i++) {
        assert.deepEqual(together[i], alone[i % 4], where(`${store} ${lin.kernelName(m)} m=${m}`));
      }
    }
  }
});

test('q8_0 quantizer is bit-exact with the TS reference (ggml rule)', () => {
  const x = randomF32(32 * 64, 3);
  x.fill(0, 0, 32); // an all-zero block: scale 0
  for (let j = 32; j < 64; j++) x[j] = (j - 48) * 0.5; // exact halves after scaling ties
  x[64] = 1e-6; // tiny block values
  const native = quantizeQ8_0Native(x);
  const ts = quantizeQ8_0(x);
  assert.deepEqual(native, ts, where('native and TS q8_0 bytes differ'));
});

test('storage keeps what its dtype defines: rows read back exactly', () => {
  const [n, k] = [70, 96];
  for (const srcDtype of ['f32', 'f16', 'bf16', 'q8_0'] as DType[]) {
    const src = randomSource(n, k, srcDtype);
    for (const store of STORES) {
      const lin = Linear.create(n, k, srcDtype, src, store);
      const w = storedWeights(src, srcDtype, store);
      for (const i of [0, 1, 63, 64, 69]) {
        assert.deepEqual(lin.row(i), w.subarray(i * k, (i + 1) * k), where(`row ${i} ${srcDtype}->${store}`));
      }
    }
  }
  // A q8_0 source keeps its exact bits, whatever the scale (any f16) and quants (-128 included).
  const q8 = new Uint8Array(3 * 34);
  for (let i = 0; i < q8.length; i++) q8[i] = randomInt(256);
  for (let b = 0; b < 3; b++) q8[b * 34 + 1] &= 0x7b; // keep the f16 scale finite
  const lin = Linear.create(1, 96, 'q8_0', q8, 'q8_0');
  assert.deepEqual(lin.row(0), dequantizeQ8_0(q8));
});

test('weightBytes and dtype describe the packed storage', () => {
  const lin = Linear.create(65, 64, 'f32', randomSource(65, 64, 'f32'), 'q8_0');
  assert.equal(lin.dtype, 'q8_0');
  assert.equal(lin.n, 65);
  assert.equal(lin.k, 64);
  assert.ok(lin.weightBytes >= (65 * 64 * 34) / 32);
});

test('bad arguments throw TypeError or RangeError', async () => {
  const src = randomSource(4, 32, 'f32');
  assert.throws(() => Linear.create(0, 32, 'f32', src, 'f32'), RangeError);
  assert.throws(() => Linear.create(4, 32, 'f64' as DType, src, 'f32'), TypeError);
  assert.throws(() => Linear.create(4, 32, 'f32', src, 'f16' as LinearStore), TypeError);
  assert.throws(() => Linear.create(4, 32, 'f32', src.subarray(1), 'f32'), RangeError);
  assert.throws(() => Linear.create(4, 33, 'f32', randomSource(4, 33, 'f32'), 'q8_0'), RangeError);
  assert.throws(
    () => Linear.create(4, 32, 'f32', new Float32Array(128) as unknown as Uint8Array, 'f32'),
    TypeError,
  );
  const lin = Linear.create(4, 32, 'f32', src, 'f32');
  assert.throws(() => lin.forward(new Float32Array(31), 1), RangeError);
  assert.throws(() => lin.forward(new Float64Array(32) as unknown as Float32Array, 1), TypeError);
  assert.throws(() => lin.forward(new Float32Array(32), 1, new Float32Array(3)), RangeError);
  assert.throws(() => lin.forward(new Float32Array(32), 1.5), RangeError);
  assert.throws(() => lin.row(4), RangeError);
  // The native layer checks too, for callers that skip the TS wrapper.
  assert.throws(() => lin.native.forward(new Float32Array(31), 1), RangeError);
  assert.throws(() => lin.native.row(-1), RangeError);
});
