import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestRandom } from './reference/random.js';
import { type SamplingBatchInput, sampleBatch, samplingIsa } from './sampling.js';

// The parity test against the engine's TypeScript Sampler (same uniforms, same tokens) lives in
// cli/src/bench/throughput/sampling-parity.test.ts (this package cannot import the engine); these
// check the binding's contract and the draw's distribution on their own.

const forcedIsa = process.env.PDSERVE_ISA;
if (forcedIsa === undefined) {
  test('the same tests pass with PDSERVE_ISA=portable', () => {
    // NODE_TEST_CONTEXT is dropped: with it a nested `node --test` reports to its parent and exits 0.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const file = fileURLToPath(import.meta.url);
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=dot', file], {
      env: { ...env, PDSERVE_ISA: 'portable' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `portable run failed:\n${r.stdout}\n${r.stderr}`);
  });
}
const rng = new TestRandom(1234);

function batch(logits: Float32Array, vocabSize: number, n: number, over: Partial<SamplingBatchInput> = {}) {
  return {
    logits,
    vocabSize,
    rows: Int32Array.from({ length: n }, (_, i) => i % (logits.length / vocabSize)),
    temperature: new Float64Array(n).fill(1),
    topK: new Int32Array(n),
    topP: new Float64Array(n).fill(1),
    minP: new Float64Array(n),
    uniforms: Float64Array.from({ length: n }, () => rng.next()),
    ...over,
  };
}

test('the sampler runs on the forced ISA', () => {
  if (forcedIsa === 'portable') assert.equal(samplingIsa(), 'portable');
});

test('greedy rows pick the first maximum; logprobs give logZ, rank and the sorted top ids', async () => {
  const logits = Float32Array.from([1, 5, 5, 2, -1, 0.5, 3, 3]);
  const out = await sampleBatch(
    batch(logits, 4, 2, { temperature: new Float64Array(2), numLogprobs: Int32Array.from([3, -1]) }),
  );
  assert.deepEqual([...out.tokenIds], [1, 2]);
  const logZ = 5 + Math.log(Math.exp(-4) + 2 + Math.exp(-3));
  assert.ok(Math.abs(out.logZ[0] - logZ) < 1e-5, `${out.logZ[0]} vs ${logZ}`);
  assert.equal(out.ranks[0], 2);
  assert.equal(out.maxLogprobs, 3);
  assert.deepEqual([...out.topIds], [1, 2, 3, -1, -1, -1]);
});

test('a draw walks kept tokens in id order: uniform u picks the token whose cumulative share passes u', async () => {
  // Weights 1, 2, 3, 4 (of 10) at temperature 1.
  const logits = Float32Array.from([0, 1, 2, 3].map((k) => Math.log(k + 1)));
  const uniforms = Float64Array.from([0, 0.09, 0.11, 0.29, 0.31, 0.59, 0.61, 0.999]);
  const out = await sampleBatch(batch(logits, 4, 8, { rows: new Int32Array(8), uniforms }));
  assert.deepEqual([...out.tokenIds], [0, 0, 1, 1, 2, 2, 3, 3]);
  // top_k 2 keeps ids 2 and 3 (weights 3, 4 of 7); top_p 0.5 keeps 3 and 2 (4 < 5 <= 7).
  const k = await sampleBatch(
    batch(logits, 4, 2, {
      rows: new Int32Array(2),
      topK: Int32Array.from([2, 0]),
      topP: Float64Array.from([1, 0.5]),
      uniforms: Float64Array.from([0.42, 0.44]),
    }),
  );
  assert.deepEqual([...k.tokenIds], [2, 3]);
  // min_p 0.4 keeps p >= 0.16 (ids 1, 2, 3); min_p 0.6 keeps p >= 0.24 (ids 2, 3).
  const minP = Float64Array.from([0.4, 0.6]);
  const m = await sampleBatch(
    batch(logits, 4, 2, { rows: new Int32Array(2), minP, uniforms: new Float64Array(2) }),
  );
  assert.deepEqual([...m.tokenIds], [1, 2]);
});

test('processed rows are sampled, raw rows give the logprobs', async () => {
  const logits = Float32Array.from([0, 9, 0, 0]);
  const processed = Float32Array.from([9, -Infinity, 0, 0]);
  const out = await sampleBatch({
    ...batch(logits, 4, 1, { temperature: new Float64Array(1), numLogprobs: Int32Array.from([1]) }),
    processed,
    processedRows: Int32Array.from([0]),
  });
  assert.equal(out.tokenIds[0], 0);
  assert.equal(out.topIds[0], 1);
  assert.equal(out.ranks[0], 4);
});

test('sampling frequencies follow softmax(logits / t) over a large vocabulary', async () => {
  const vocab = 5000;
  const logits = Float32Array.from({ length: vocab }, () => rng.next() * 4);
  const n = 20_000;
  const out = await sampleBatch(
    batch(logits, vocab, n, { rows: new Int32Array(n), temperature: new Float64Array(n).fill(0.5) }),
  );
  const w = Array.from(logits, (x) => Math.exp(2 * x));
  const total = w.reduce((a, b) => a + b, 0);
  // Mass of the top decile by logit, sampled vs expected.
  const cut = [...logits].sort((a, b) => b - a)[vocab / 10];
  const expected = w.reduce((a, x, i) => a + (logits[i] > cut ? x : 0), 0) / total;
  const seen = out.tokenIds.reduce((a, id) => a + (logits[id] > cut ? 1 : 0), 0) / n;
  assert.ok(Math.abs(seen - expected) < 0.02, `top-decile share ${seen} vs ${expected}`);
});

test('bad arguments throw TypeError / RangeError synchronously', () => {
  const logits = new Float32Array(8);
  assert.throws(() => sampleBatch(batch(logits, 3, 1)), RangeError);
  assert.throws(() => sampleBatch(batch(logits, 4, 1, { rows: Int32Array.from([2]) })), /rows\[0\]/);
  assert.throws(() => sampleBatch(batch(logits, 4, 1, { topP: Float64Array.from([0]) })), /topP/);
  assert.throws(() => sampleBatch(batch(logits, 4, 1, { uniforms: Float64Array.from([1]) })), /uniforms/);
  assert.throws(
    () => sampleBatch(batch(logits, 4, 1, { temperature: new Float32Array(1) as never })),
    TypeError,
  );
  assert.throws(() => sampleBatch(batch(logits, 4, 2, { topK: new Int32Array(1) })), /topK/);
});
