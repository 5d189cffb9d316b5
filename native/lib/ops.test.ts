import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bf16ToF32, f32ToBf16 } from './dtype-convert.js';
import { KvPool, type KvPoolLayout } from './kv-pool.js';
import { argmax, opsIsa, pagedAttention, rmsnorm, rope, softmax, swiglu, writeKv } from './ops.js';
import { forcedIsa, testLowerIsas } from './reference/isa-children.js';
import {
  refArgmax,
  refAttention,
  refRmsnorm,
  refRope,
  refSoftmax,
  refSwiglu,
  ropeInvFreq,
} from './reference/ops.js';
import { pagedBatch, type SeqSpec } from './reference/paged-batch.js';
import { TestRandom, worstError } from './reference/random.js';

// Tolerances (|native - ref| <= atol + rtol * |ref|): the references run in f64, the kernels
// in f32 with a polynomial exp (rel. err ~2e-7), so 1e-5 relative covers reassociation.
const rng = new TestRandom();

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
  what: string,
) {
  const { ratio, index } = worstError(actual, expected, atol, rtol);
  assert.ok(
    ratio <= 1,
    `${what} [isa ${opsIsa()}, seed ${rng.seed}]: element ${index} = ${actual[index]}, expected ${expected[index]}`,
  );
}

testLowerIsas(import.meta.url);

test('the ops run on the forced ISA', () => {
  if (forcedIsa !== undefined) assert.equal(opsIsa(), forcedIsa);
});

test('rmsnorm matches the reference (dims with and without a vector tail)', async () => {
  for (const dim of [64, 100, 7]) {
    const rows = 5;
    const x = rng.normals(rows * dim, 3);
    const w = rng.normals(dim);
    assertClose(
      await rmsnorm(x, w, rows, dim, 1e-5),
      refRmsnorm(x, w, rows, dim, 1e-5),
      1e-5,
      1e-5,
      `rmsnorm ${dim}`,
    );
  }
});

test('rope matches the reference: both styles, partial rotary dim, explicit invFreq', async () => {
  const heads = 3;
  const headDim = 64;
  const positions = Int32Array.from({ length: 7 }, () => rng.int(4096));
  const x = rng.normals(positions.length * heads * headDim);
  for (const style of ['interleaved', 'neox'] as const) {
    for (const rotDim of [64, 32]) {
      const opts = { rotDim, theta: 10000, style };
      const out = await rope(x, positions, heads, headDim, opts);
      assertClose(out, refRope(x, positions, heads, headDim, opts), 1e-5, 1e-5, `rope ${style} ${rotDim}`);
    }
    const invFreq = ropeInvFreq(headDim, 500000).map((f, i) => (i > 20 ? f / 8 : f));
    const opts = { theta: 1, style, invFreq };
    const out = await rope(x, positions, heads, headDim, opts);
    assertClose(out, refRope(x, positions, heads, headDim, opts), 1e-5, 1e-5, `rope ${style} invFreq`);
  }
  const untouched = await rope(x, positions, heads, headDim, { rotDim: 32, theta: 10000, style: 'neox' });
  assert.deepEqual(untouched.subarray(32, 64), x.subarray(32, 64), 'dims past rotDim stay as they were');
});

test('swiglu, softmax and argmax match the references', async () => {
  const g = rng.normals(1001, 4);
  const u = rng.normals(1001);
  assertClose(await swiglu(g, u), refSwiglu(g, u), 1e-6, 1e-5, 'swiglu');
  for (const cols of [1000, 7]) {
    const x = rng.normals(3 * cols, 10);
    assertClose(await softmax(x, 3, cols), refSoftmax(x, 3, cols), 1e-7, 1e-5, `softmax ${cols}`);
    assert.deepEqual(await argmax(x, 3, cols), refArgmax(x, 3, cols));
  }
  const ties = new Float32Array([1, 5, 2, 5, 5, -1, -1, -1]);
  assert.deepEqual(await argmax(ties, 2, 4), Int32Array.from([1, 0]), 'argmax picks the first maximum');
});

function kvValue(dtype: 'f32' | 'bf16', x: number): number {
  return dtype === 'bf16' ? bf16ToF32(f32ToBf16(x)) : x;
}

/** The values of a pool read back from its bytes at the block-major offsets ops.h documents. */
function readPoolRow(pool: KvPool, slot: number, layer: number, which: 0 | 1): Float32Array {
  const l = pool.layout;
  const n = l.kvHeads * l.headDim;
  const block = Math.floor(slot / l.blockSize);
  const elem =
    block * l.layers * 2 * l.blockSize * n + (layer * 2 + which) * l.blockSize * n + (slot % l.blockSize) * n;
  if (l.dtype === 'f32') return new Float32Array(pool.buffer(), elem * 4, n).slice();
  return Float32Array.from(new Uint16Array(pool.buffer(), elem * 2, n), bf16ToF32);
}

test('writeKv stores rows at block-major offsets and skips slot -1', async () => {
  for (const dtype of ['f32', 'bf16'] as const) {
    const pool = new KvPool({ numBlocks: 6, blockSize: 4, layers: 3, kvHeads: 2, headDim: 8, dtype });
    try {
      const n = 16;
      const k = rng.normals(3 * n);
      const v = rng.normals(3 * n);
      await writeKv(pool, 2, k, v, Int32Array.from([17, -1, 6]));
      assert.deepEqual(
        readPoolRow(pool, 17, 2, 0),
        k.subarray(0, n).map((x) => kvValue(dtype, x)),
      );
      assert.deepEqual(
        readPoolRow(pool, 17, 2, 1),
        v.subarray(0, n).map((x) => kvValue(dtype, x)),
      );
      assert.deepEqual(
        readPoolRow(pool, 6, 2, 1),
        v.subarray(2 * n).map((x) => kvValue(dtype, x)),
      );
      const nonZero = new Uint8Array(pool.buffer()).reduce((c, b) => c + (b !== 0 ? 1 : 0), 0);
      const written = 4 * n * (dtype === 'f32' ? 4 : 2);
      assert.ok(nonZero <= written, 'nothing but the two written tokens changed');
    } finally {
      pool.close();
    }
  }
});

interface AttnCase {
  heads: number;
  kvHeads: number;
  headDim: number;
  blockSize: number;
}

/** Writes random K/V for every cached position of seqs (earlier context and the new rows in two calls). */
async function fillPool(pool: KvPool, layer: number, seqs: SeqSpec[], batch: ReturnType<typeof pagedBatch>) {
  const n = pool.layout.kvHeads * pool.layout.headDim;
  const kv = seqs.map((s) => ({ k: rng.normals(s.contextLen * n), v: rng.normals(s.contextLen * n) }));
  const earlier: number[] = [];
  const idx: [number, number][] = [];
  seqs.forEach((s, i) => {
    for (let p = 0; p < s.contextLen - s.queryLen; p++) {
      earlier.push(batch.slot(i, p));
      idx.push([i, p]);
    }
  });
  const gather = (which: 'k' | 'v', list: [number, number][]) => {
    const out = new Float32Array(list.length * n);
    list.forEach(([s, p], r) => {
      out.set(kv[s][which].subarray(p * n, (p + 1) * n), r * n);
    });
    return out;
  };
  await writeKv(pool, layer, gather('k', idx), gather('v', idx), Int32Array.from(earlier));
  const rows: [number, number][] = [];
  seqs.forEach((s, i) => {
    for (let p = s.contextLen - s.queryLen; p < s.contextLen; p++) rows.push([i, p]);
  });
  await writeKv(pool, layer, gather('k', rows), gather('v', rows), batch.slotMapping);
  return kv;
}

async function checkMixedBatch(c: AttnCase, dtype: 'f32' | 'bf16') {
  // Two prefill chunks continuing earlier context, a fresh prompt, two decode rows.
  const seqs: SeqSpec[] = [
    { contextLen: 37, queryLen: 9 },
    { contextLen: 50, queryLen: 1 },
    { contextLen: 21, queryLen: 21 },
    { contextLen: 1, queryLen: 1 },
    { contextLen: 70, queryLen: 19 },
  ];
  const layout: KvPoolLayout = {
    numBlocks: 64,
    blockSize: c.blockSize,
    layers: 2,
    kvHeads: c.kvHeads,
    headDim: c.headDim,
    dtype,
  };
  const pool = new KvPool(layout);
  try {
    const batch = pagedBatch(seqs, c.blockSize, layout.numBlocks, rng);
    await fillPool(pool, 0, seqs, batch); // other layer: must not leak into layer 1
    const kv = await fillPool(pool, 1, seqs, batch);
    const q = rng.normals(batch.tokens * c.heads * c.headDim);
    const scale = 1 / Math.sqrt(c.headDim);
    const out = await pagedAttention(q, pool, 1, batch, c.heads, scale);
    const row = c.heads * c.headDim;
    seqs.forEach((s, i) => {
      const r0 = batch.queryStart[i];
      const qs = q.subarray(r0 * row, (r0 + s.queryLen) * row);
      const k = kv[i].k.map((x) => kvValue(dtype, x));
      const v = kv[i].v.map((x) => kvValue(dtype, x));
      const first = s.contextLen - s.queryLen;
      const want = refAttention(qs, k, v, s.queryLen, first, c.heads, c.kvHeads, c.headDim, scale);
      const got = out.subarray(r0 * row, (r0 + s.queryLen) * row);
      assertClose(got, want, 2e-5, 1e-4, `attention ${JSON.stringify(c)} ${dtype} sequence ${i}`);
    });
  } finally {
    pool.close();
  }
}

test('pagedAttention matches contiguous attention on a mixed prefill/decode batch (GQA, f32 and bf16 KV)', async () => {
  const cases: AttnCase[] = [
    { heads: 8, kvHeads: 2, headDim: 64, blockSize: 16 },
    { heads: 3, kvHeads: 3, headDim: 40, blockSize: 5 },
    { heads: 4, kvHeads: 1, headDim: 128, blockSize: 32 },
  ];
  for (const c of cases) for (const dtype of ['f32', 'bf16'] as const) await checkMixedBatch(c, dtype);
});

test('bad arguments throw TypeError or RangeError instead of crashing', async () => {
  const pool = new KvPool({ numBlocks: 2, blockSize: 4, layers: 1, kvHeads: 1, headDim: 8, dtype: 'f32' });
  try {
    const q = new Float32Array(2 * 8);
    const ok = {
      queryStart: Int32Array.of(0),
      queryLen: Int32Array.of(1),
      contextLen: Int32Array.of(5),
      blockTables: Int32Array.of(1, 0),
      maxBlocksPerSeq: 2,
    };
    assert.equal((await pagedAttention(q.subarray(0, 8), pool, 0, ok, 1)).length, 8);
    const bad = (patch: object) => pagedAttention(q.subarray(0, 8), pool, 0, { ...ok, ...patch }, 1);
    assert.throws(() => bad({ blockTables: Int32Array.of(1, 2) }), RangeError);
    assert.throws(() => bad({ contextLen: Int32Array.of(9) }), RangeError);
    assert.throws(() => bad({ queryLen: Int32Array.of(2) }), RangeError);
    assert.throws(() => bad({ queryStart: Int32Array.of(1) }), RangeError);
    assert.throws(() => bad({ queryLen: Int32Array.of(-1) }), RangeError);
    assert.throws(() => bad({ contextLen: Int32Array.of(1, 1) }), RangeError);
    assert.throws(() => bad({ blockTables: Float32Array.of(1, 0) }), TypeError);
    assert.throws(() => pagedAttention(q, pool, 1, ok, 1), RangeError);
    assert.throws(() => pagedAttention(q.subarray(0, 7), pool, 0, ok, 1), RangeError);
    assert.throws(() => writeKv(pool, 0, q.subarray(0, 8), q.subarray(0, 8), Int32Array.of(8)), RangeError);
    assert.throws(() => writeKv(pool, 0, q.subarray(0, 8), q.subarray(0, 8), Int32Array.of(-2)), RangeError);
    assert.throws(() => writeKv(pool, 0, q, q, Int32Array.of(0)), RangeError);
    assert.throws(() => rmsnorm(q, q, 3, 8, 1e-5), RangeError);
    assert.throws(
      () => rope(q, Int32Array.of(0, 1), 1, 8, { rotDim: 3, theta: 1e4, style: 'neox' }),
      RangeError,
    );
    assert.throws(() => softmax(q, 0, 16), RangeError);
    assert.throws(() => swiglu(q, q.subarray(1)), RangeError);
  } finally {
    pool.close();
  }
  assert.throws(() => writeKv(pool, 0, new Float32Array(8), new Float32Array(8), Int32Array.of(0)), /closed/);
});
