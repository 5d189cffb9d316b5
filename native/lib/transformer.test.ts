import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type KvDtype, KvPool } from './kv-pool.js';
import type { LinearStore } from './linear.js';
import { opsIsa } from './ops.js';
import { testLowerIsas } from './reference/isa-children.js';
import { PagedAllocator } from './reference/paged-batch.js';
import { TestRandom, worstError } from './reference/random.js';
import { randomModel } from './reference/random-model.js';
import { RefTransformer } from './reference/transformer.js';
import { type ForwardBatch, type NativeModelConfig, Transformer } from './transformer.js';

const rng = new TestRandom();
const base: NativeModelConfig = {
  dim: 64,
  hiddenDim: 128,
  nLayers: 2,
  nHeads: 8,
  nKvHeads: 4,
  headDim: 8,
  vocabSize: 97,
  maxSeqLen: 256,
  normEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: 'neox',
  tiedEmbeddings: false,
  qkvBias: false,
};

function poolFor(c: NativeModelConfig, dtype: KvDtype, numBlocks = 64, blockSize = 4): KvPool {
  return new KvPool({
    numBlocks,
    blockSize,
    layers: c.nLayers,
    kvHeads: c.nKvHeads,
    headDim: c.headDim,
    dtype,
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, atol: number, rtol: number, what: string) {
  const { ratio, index } = worstError(actual, expected, atol, rtol);
  assert.ok(
    ratio <= 1,
    `${what} [isa ${opsIsa()}, seed ${rng.seed}]: logit ${index} = ${actual[index]}, expected ${expected[index]}`,
  );
}

/** For reduced-precision matmuls: RMS error relative to the RMS logit, and the largest error. */
function assertRms(actual: Float32Array, expected: Float32Array, rms: number, maxAbs: number, what: string) {
  let se = 0;
  let sr = 0;
  let worst = 0;
  expected.forEach((v, i) => {
    se += (actual[i] - v) ** 2;
    sr += v * v;
    worst = Math.max(worst, Math.abs(actual[i] - v));
  });
  const ratio = Math.sqrt(se / sr);
  const where = `[isa ${opsIsa()}, seed ${rng.seed}]`;
  assert.ok(ratio <= rms, `${what} ${where}: relative RMS error ${ratio} > ${rms}`);
  assert.ok(worst <= maxAbs, `${what} ${where}: max error ${worst} > ${maxAbs}`);
}

/** Elementwise bounds, or RMS + max bounds for reduced-precision weights. */
type Tolerance = { atol: number; rtol: number } | { rms: number; maxAbs: number };

const allRows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/**
 * Three steps over four sequences: a 30-token prompt in chunks of 20 and 10, prompts of 12
 * and 5 then decode, a 7-token prompt joining in step two, then decode for all. Every row's
 * logits are compared with the reference run token by token.
 */
async function checkAgainstReference(
  c: NativeModelConfig,
  store: LinearStore,
  kvDtype: KvDtype,
  tol: Tolerance,
) {
  const tensors = randomModel(c, rng);
  const model = new Transformer(c, tensors, store);
  const ref = new RefTransformer(c, tensors, store, kvDtype);
  const pool = poolFor(c, kvDtype);
  try {
    const alloc = new PagedAllocator(pool.layout.blockSize, pool.layout.numBlocks, rng);
    const streams = [0, 1, 2, 3].map(() => Array.from({ length: 40 }, () => rng.int(c.vocabSize)));
    const caches = streams.map(() => ref.newCache());
    const steps = [
      [0, 20, 1, 12, 2, 5],
      [0, 10, 1, 1, 2, 1, 3, 7],
      [3, 1, 0, 1, 2, 1, 1, 1],
    ];
    for (const [n, step] of steps.entries()) {
      const work = [];
      for (let i = 0; i < step.length; i += 2) work.push({ seq: step[i], queryLen: step[i + 1] });
      const batch = alloc.step(work);
      const ids = work.flatMap((w) =>
        streams[w.seq].slice(caches[w.seq].length, caches[w.seq].length + w.queryLen),
      );
      const tokenIds = Int32Array.from(ids);
      const logits = await model.forward({ ...batch, tokenIds, logitsRows: allRows(batch.tokens) }, pool);
      const expected = work.flatMap((w, s) =>
        ref.forward(caches[w.seq], tokenIds.subarray(batch.queryStart[s], batch.queryStart[s] + w.queryLen)),
      );
      const want = new Float32Array(expected.length * c.vocabSize);
      expected.forEach((row, i) => {
        want.set(row, i * c.vocabSize);
      });
      const what = `step ${n} (${store} weights, ${kvDtype} KV)`;
      if ('atol' in tol) assertClose(logits, want, tol.atol, tol.rtol, what);
      else assertRms(logits, want, tol.rms, tol.maxAbs, what);
    }
  } finally {
    pool.close();
  }
}

testLowerIsas(import.meta.url);

// f32 weights: the reference accumulates in f64, the native side in f32 (observed max error
// ~3e-6 on logits of magnitude ~4). bf16 KV: both sides round K/V to bf16, but when the two
// f32 values straddle a rounding boundary they differ by one bf16 ulp, which moved logits by
// up to ~2.3e-4 in our runs.
const f32Tol = { atol: 5e-5, rtol: 5e-5 };
// bf16 keeps 8 mantissa bits (relative step 2^-8 = 3.9e-3): a K or V element that rounds the other
// way under another ISA moves a logit by up to a few 1e-3 (1.4e-3 seen under AVX2, seed 370514292).
const bf16KvTol = { atol: 4e-3, rtol: 4e-3 };

test('forward matches the TS reference on a mixed prefill/decode batch (f32, GQA, both KV dtypes)', async () => {
  await checkAgainstReference(base, 'f32', 'f32', f32Tol);
  await checkAgainstReference(base, 'f32', 'bf16', bf16KvTol);
});

test('forward matches the reference for interleaved RoPE, partial rotary, qkv bias, tied embeddings', async () => {
  await checkAgainstReference({ ...base, ropeStyle: 'interleaved', qkvBias: true }, 'f32', 'f32', f32Tol);
  await checkAgainstReference(
    { ...base, rotDim: 4, tiedEmbeddings: true, nKvHeads: 2 },
    'f32',
    'f32',
    f32Tol,
  );
  const invFreq = Float32Array.of(1, 0.1, 0.01, 0.001);
  await checkAgainstReference({ ...base, invFreq, nKvHeads: 8 }, 'f32', 'f32', f32Tol);
});

test('forward with bf16 and q8_0 weights matches the reference on the same stored weights', async () => {
  // The reference uses the same rounded/quantized weights with f32 activations; Linear's AMX
  // path also rounds activations to bf16 (observed: relative RMS error <= 0.93%, max error
  // <= 0.054 on logits up to ~4.4; ~3e-6 on the f32-activation kernels).
  const tol = { rms: 0.025, maxAbs: 0.15 };
  await checkAgainstReference(base, 'bf16', 'f32', tol);
  await checkAgainstReference(base, 'q8_0', 'bf16', tol);
});

test('chunked prefill gives the same logits as one-shot prefill', async () => {
  const tensors = randomModel(base, rng);
  const model = new Transformer(base, tensors, 'f32');
  const prompt = Array.from({ length: 37 }, () => rng.int(base.vocabSize));
  const run = async (chunks: number[]) => {
    const pool = poolFor(base, 'f32');
    try {
      const alloc = new PagedAllocator(4, 64, rng);
      const out: Float32Array[] = [];
      let fed = 0;
      for (const n of chunks) {
        const batch = alloc.step([{ seq: 0, queryLen: n }]);
        const tokenIds = Int32Array.from(prompt.slice(fed, fed + n));
        out.push(await model.forward({ ...batch, tokenIds, logitsRows: allRows(n) }, pool));
        fed += n;
      }
      return Float32Array.from(out.flatMap((a) => [...a]));
    } finally {
      pool.close();
    }
  };
  assertClose(await run([20, 17]), await run([37]), 1e-5, 1e-5, 'chunked vs one-shot');
  assertClose(await run([1, 35, 1]), await run([37]), 1e-5, 1e-5, 'chunked vs one-shot');
});

test('bad batches and bad tensors throw RangeError naming the problem', async () => {
  const tensors = randomModel(base, rng);
  const model = new Transformer(base, tensors, 'f32');
  assert.ok(model.weightBytesPerToken >= 4 * (2 * (4 * 64 * 64 + 3 * 64 * 128) + 97 * 64));
  const pool = poolFor(base, 'f32', 8);
  try {
    const batch = new PagedAllocator(4, 8, rng).step([
      { seq: 0, queryLen: 5 },
      { seq: 1, queryLen: 3 },
    ]);
    const ok: ForwardBatch = {
      ...batch,
      tokenIds: new Int32Array(8).fill(3),
      logitsRows: Int32Array.of(4, 7),
    };
    assert.equal((await model.forward(ok, pool)).length, 2 * base.vocabSize);
    const bad = (patch: Partial<ForwardBatch>, message: RegExp) =>
      assert.throws(
        () => model.forward({ ...ok, ...patch }, pool),
        (e: Error) => e instanceof RangeError && message.test(e.message),
      );
    bad({ tokenIds: Int32Array.of(3, 3, 3, 3, 97, 3, 3, 3) }, /token id 97/);
    bad({ tokenIds: new Int32Array(7) }, /tokenIds|positions/);
    bad({ positions: Int32Array.of(0, 1, 2, 3, 5, 0, 1, 2) }, /position/);
    bad({ slotMapping: ok.slotMapping.map((s, i) => (i === 2 ? s + 1 : s)) }, /slotMapping/);
    bad({ blockTables: ok.blockTables.map((b, i) => (i === 0 ? 8 : b)) }, /block/);
    bad({ contextLen: Int32Array.of(5, 2) }, /queryLen|contextLen/);
    bad({ queryStart: Int32Array.of(0, 4) }, /queryStart/);
    bad({ queryLen: Int32Array.of(5, 2) }, /queryLen|rows|tokens/);
    bad({ logitsRows: Int32Array.of(8) }, /logitsRows/);
    bad({ blockTables: new Int32Array(3) }, /blockTables/);
    const other = new KvPool({ numBlocks: 8, blockSize: 4, layers: 3, kvHeads: 4, headDim: 8, dtype: 'f32' });
    assert.throws(() => model.forward(ok, other), /does not match the model/);
    other.close();
  } finally {
    pool.close();
  }
  const without = new Map(tensors);
  without.delete('model.layers.1.mlp.up_proj.weight');
  assert.throws(
    () => new Transformer(base, without, 'f32'),
    /model\.layers\.1\.mlp\.up_proj\.weight: missing/,
  );
  const reshaped = new Map(tensors);
  const q = tensors.get('model.layers.0.self_attn.q_proj.weight')!;
  reshaped.set('model.layers.0.self_attn.q_proj.weight', { ...q, shape: [32, 128] });
  assert.throws(() => new Transformer(base, reshaped, 'f32'), /q_proj\.weight: expected shape \[64, 64\]/);
  assert.throws(() => new Transformer({ ...base, nKvHeads: 3 }, tensors, 'f32'), RangeError);
});
