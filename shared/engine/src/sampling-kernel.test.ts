import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineCore } from './engine-core.js';
import { FakeModelExecutor } from './fake-model-executor.js';
import { Request } from './request.js';
import { Sampler } from './sampler.js';
import type { SamplingKernel, SamplingKernelInput, SamplingKernelOutput } from './sampling-kernel.js';
import { SamplingParams, type SamplingParamsInit } from './sampling-params.js';
import { makePrompt } from './test-support.js';
import { selectTopK } from './top-k-selection.js';
import { Xoshiro128 } from './xoshiro128.js';

/** Ranks by value descending, then id ascending (the order both samplers use for ties). */
const byRank = (x: ArrayLike<number>) => (a: number, b: number) => x[b] - x[a] || a - b;

/**
 * The SamplingKernel contract written the obvious way (full sorts, f64): a second implementation
 * to check the Sampler's TypeScript path and its kernel plumbing against.
 */
function referenceDraw(x: ArrayLike<number>, t: number, topK: number, topP: number, minP: number, u: number) {
  const ids = Array.from({ length: x.length }, (_, i) => i);
  const max = Math.max(...ids.map((i) => x[i]));
  if (t < 1e-5 || max === Number.NEGATIVE_INFINITY) return ids.find((i) => x[i] === max) ?? 0;
  const threshold = minP > 0 ? max + t * Math.log(minP) : Number.NEGATIVE_INFINITY;
  let kept = ids.filter((i) => x[i] >= threshold && x[i] !== Number.NEGATIVE_INFINITY).sort(byRank(x));
  if (topK > 0) kept = kept.slice(0, topK);
  const w = (i: number) => Math.exp((x[i] - max) / t);
  if (topP < 1) {
    const target = topP * kept.reduce((a, i) => a + w(i), 0);
    let cum = 0;
    let m = 0;
    while (m < kept.length && cum < target) cum += w(kept[m++]);
    kept = kept.slice(0, Math.max(1, m));
  }
  kept.sort((a, b) => a - b);
  let rest = u * kept.reduce((a, i) => a + w(i), 0);
  for (const i of kept) {
    rest -= w(i);
    if (rest < 0) return i;
  }
  return kept[kept.length - 1];
}

const referenceKernel: SamplingKernel = {
  async sampleBatch(b: SamplingKernelInput): Promise<SamplingKernelOutput> {
    const n = b.rows.length;
    const V = b.vocabSize;
    const numLogprobs = b.numLogprobs ?? new Int32Array(n).fill(-1);
    const maxLogprobs = Math.max(0, ...numLogprobs);
    const out = {
      tokenIds: new Int32Array(n),
      logZ: new Float64Array(n),
      ranks: new Int32Array(n),
      topIds: new Int32Array(n * maxLogprobs).fill(-1),
      maxLogprobs,
    };
    for (let i = 0; i < n; i++) {
      const raw = b.logits.subarray(b.rows[i] * V, (b.rows[i] + 1) * V);
      const p = b.processedRows?.[i] ?? -1;
      const x = p >= 0 ? b.processed!.subarray(p * V, (p + 1) * V) : raw;
      const tok = referenceDraw(x, b.temperature[i], b.topK[i], b.topP[i], b.minP[i], b.uniforms[i]);
      out.tokenIds[i] = tok;
      if (numLogprobs[i] < 0) continue;
      const max = Math.max(...raw);
      out.logZ[i] = max + Math.log(raw.reduce((a, v) => a + Math.exp(v - max), 0));
      out.ranks[i] = raw.filter((v) => v >= raw[tok]).length;
      const top = Array.from({ length: V }, (_, j) => j).sort(byRank(raw));
      for (let j = 0; j < numLogprobs[i]; j++) out.topIds[i * maxLogprobs + j] = top[j];
    }
    return out;
  },
};

test('the TypeScript Sampler draws like the reference: same uniform, same token, kept tokens in id order', () => {
  const vocab = 300;
  const gen = Xoshiro128.fromSeed(5);
  const settings: SamplingParamsInit[] = [
    { temperature: 1 },
    { temperature: 0.7, topK: 20 },
    { temperature: 1.3, topP: 0.8 },
    { temperature: 1, minP: 0.05 },
    { temperature: 0.9, topK: 100, topP: 0.95, minP: 0.01 },
  ];
  for (let trial = 0; trial < 200; trial++) {
    const logits = Float32Array.from({ length: vocab }, () => gen.nextFloat() * 8);
    const params = SamplingParams.create({ seed: trial, ...settings[trial % settings.length] });
    const request = new Request({
      requestId: `t${trial}`,
      promptTokenIds: [0],
      samplingParams: params,
      maxTokens: 1,
      eosTokenIds: [],
    });
    const u = Xoshiro128.fromState(request.rng.getState()).nextFloat();
    const p = params;
    const expected = referenceDraw(logits, p.temperature, p.topK, p.topP, p.minP, u);
    assert.equal(new Sampler(vocab).sample(logits, 0, request).tokenId, expected, `trial ${trial}`);
  }
});

test('selectTopK keeps ids a permutation (top_p selects over all of them after it)', () => {
  const gen = Xoshiro128.fromSeed(3);
  const values = Float32Array.from({ length: 500 }, () => gen.nextFloat());
  for (const k of [1, 64, 300]) {
    const ids = Int32Array.from({ length: 500 }, (_, i) => i);
    selectTopK(values, ids, 500, k);
    assert.equal(new Set(ids).size, 500, `k ${k}`);
    const best = [...ids.subarray(0, k)].sort((a, b) => a - b);
    const expected = Array.from({ length: 500 }, (_, i) => i)
      .sort(byRank(values))
      .slice(0, k);
    assert.deepEqual(
      best,
      expected.sort((a, b) => a - b),
    );
  }
});

test('with a SamplingKernel the engine gives the same tokens and logprobs as the TypeScript path', async () => {
  const run = async (kernel: SamplingKernel | null) => {
    const fake = new FakeModelExecutor({ vocabSize: 64, blockSize: 4, numBlocks: 128, logitScale: 4 });
    const core = new EngineCore(fake, {
      maxModelLen: 256,
      hashSeed: 'k',
      eosTokenIds: [3],
      samplingKernel: kernel,
    });
    const variants: SamplingParamsInit[] = [
      { temperature: 0 },
      { temperature: 1, topK: 10, repetitionPenalty: 1.3 },
      { temperature: 0.8, topP: 0.9, logprobs: 3, frequencyPenalty: 0.5 },
      { temperature: 1.2, minP: 0.1, minTokens: 5, logitBias: { 7: 3 } },
      { temperature: 1, n: 2, logprobs: 0 },
      { temperature: 1, allowedTokenIds: [1, 2, 3, 9, 10], badWords: [[9, 10]] },
    ];
    variants.forEach((v, i) => {
      core.addRequest({
        requestId: `r${i}`,
        promptTokenIds: makePrompt(40 + i, 5 + 3 * i, 64),
        samplingParams: SamplingParams.create({ seed: 11 + i, maxTokens: 12, ...v }),
      });
    });
    const outputs: Record<string, unknown[]> = {};
    while (core.hasUnfinishedRequests()) {
      for (const o of (await core.step()).outputs) {
        outputs[o.requestId] ??= [];
        outputs[o.requestId].push([o.newTokenIds, o.newLogprobs]);
      }
    }
    return outputs;
  };
  const ts = await run(null);
  const kernel = await run(referenceKernel);
  assert.equal(Object.keys(ts).length, 7);
  assert.deepEqual(kernel, ts);
});
