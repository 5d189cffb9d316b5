import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Request } from './request.js';
import { Sampler } from './sampler.js';
import { SamplingParams, type SamplingParamsInit } from './sampling-params.js';
import { selectTopK, sortByValue } from './top-k-selection.js';
import { Xoshiro128 } from './xoshiro128.js';

let id = 0;
function request(
  params: SamplingParamsInit,
  opts: { prompt?: number[]; outputs?: number[]; eos?: number[] } = {},
) {
  const r = new Request({
    requestId: `s${id++}`,
    promptTokenIds: opts.prompt ?? [0],
    samplingParams: SamplingParams.create({ seed: 1, ...params }),
    maxTokens: 100,
    eosTokenIds: opts.eos ?? [],
  });
  for (const t of opts.outputs ?? []) r.appendOutputToken(t);
  return r;
}
const row = (...v: number[]) => Float32Array.from(v);
const sampleOnce = (logits: Float32Array, r: Request) =>
  new Sampler(logits.length).sample(logits, 0, r).tokenId;
/** Histogram of `n` samples from one request (its RNG advancing). */
function histogram(logits: Float32Array, params: SamplingParamsInit, n = 2000): number[] {
  const s = new Sampler(logits.length);
  const r = request(params);
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[s.sample(logits, 0, r).tokenId]++;
  return counts;
}
// Probabilities 0.5, 0.3, 0.15, 0.05.
const peaked = row(Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05));

test('greedy picks the first maximum and does not touch the RNG', () => {
  const r = request({ temperature: 0 });
  const before = r.rng.getState();
  assert.equal(sampleOnce(row(1, 3, 3, 2), r), 1);
  assert.deepEqual(r.rng.getState(), before);
});

test('random sampling follows softmax(logits / temperature)', () => {
  const two = row(0, 1);
  const warm = histogram(two, { temperature: 1 }, 4000);
  assert.ok(Math.abs(warm[1] / 4000 - Math.E / (1 + Math.E)) < 0.03, `${warm}`);
  const cold = histogram(two, { temperature: 0.25 }, 4000);
  assert.ok(Math.abs(cold[1] / 4000 - Math.exp(4) / (1 + Math.exp(4))) < 0.01, `${cold}`);
  const hot = histogram(two, { temperature: 100 }, 4000);
  assert.ok(Math.abs(hot[1] / 4000 - 0.5) < 0.03, `${hot}`);
});

test('top_k keeps only the k most likely tokens', () => {
  const counts = histogram(row(1, 5, 2, 4, 3, 0), { topK: 2, temperature: 10 });
  assert.deepEqual(
    counts.map((c) => c > 0),
    [false, true, false, true, false, false],
  );
});

test('top_p keeps the smallest prefix reaching p', () => {
  const counts = histogram(peaked, { topP: 0.7 });
  assert.deepEqual(
    counts.map((c) => c > 0),
    [true, true, false, false],
  );
  // Renormalized: 0.5 / 0.8.
  assert.ok(Math.abs(counts[0] / 2000 - 0.625) < 0.04);
  const only = histogram(peaked, { topP: 0.4 });
  assert.deepEqual(
    only.map((c) => c > 0),
    [true, false, false, false],
  );
});

test('top_p over a large vocabulary matches a full-sort reference nucleus', () => {
  const vocab = 5000;
  const rng = Xoshiro128.fromSeed(9);
  const logits = Float32Array.from({ length: vocab }, () => rng.nextFloat() * 3);
  const sorted = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const probs = sorted.map((i) => Math.exp(logits[i]));
  const total = probs.reduce((a, b) => a + b, 0);
  const nucleus = new Set<number>();
  let cum = 0;
  for (let i = 0; i < vocab && cum < 0.3 * total; i++) {
    cum += probs[i];
    nucleus.add(sorted[i]);
  }
  assert.ok(nucleus.size > 64, 'the nucleus is larger than the first selection window');
  const counts = histogram(logits, { topP: 0.3 }, 3000);
  counts.forEach((c, t) => {
    if (c > 0) assert.ok(nucleus.has(t), `token ${t} outside the nucleus`);
  });
});

test('min_p drops tokens below min_p times the top probability', () => {
  const counts = histogram(peaked, { minP: 0.35 });
  assert.deepEqual(
    counts.map((c) => c > 0),
    [true, true, false, false],
  );
});

test('repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
  assert.equal(sampleOnce(row(2, 1.5), request({ temperature: 0 }, { prompt: [0] })), 0);
  assert.equal(
    sampleOnce(row(2, 1.5), request({ temperature: 0, repetitionPenalty: 2 }, { prompt: [0] })),
    1,
  );
  assert.equal(
    sampleOnce(row(-1, -1.5), request({ temperature: 0, repetitionPenalty: 2 }, { prompt: [0] })),
    1,
  );
  // Output tokens count too.
  assert.equal(
    sampleOnce(
      row(2, 1.5, 0),
      request({ temperature: 0, repetitionPenalty: 2 }, { prompt: [2], outputs: [0] }),
    ),
    1,
  );
});

test('frequency penalty scales with the count, presence penalty does not', () => {
  const logits = row(2, 1);
  assert.equal(sampleOnce(logits, request({ temperature: 0, frequencyPenalty: 0.5 }, { outputs: [0] })), 0);
  assert.equal(
    sampleOnce(logits, request({ temperature: 0, frequencyPenalty: 0.5 }, { outputs: [0, 0, 0] })),
    1,
  );
  assert.equal(sampleOnce(logits, request({ temperature: 0, presencePenalty: 1.5 }, { outputs: [0] })), 1);
  assert.equal(
    sampleOnce(logits, request({ temperature: 0, presencePenalty: 0.5 }, { outputs: [0, 0, 0] })),
    0,
  );
  // Prompt tokens are not penalized by frequency / presence.
  assert.equal(sampleOnce(logits, request({ temperature: 0, presencePenalty: 2 }, { prompt: [0] })), 0);
});

test('logit bias shifts single tokens', () => {
  assert.equal(sampleOnce(row(1, 2, 0, 0), request({ temperature: 0, logitBias: { 3: 10 } })), 3);
  assert.equal(sampleOnce(row(1, 2, 0, 0), request({ temperature: 0, logitBias: { 1: -5 } })), 0);
});

test('allowed_token_ids restricts sampling to those ids', () => {
  const counts = histogram(row(5, 1, 1, 5, 1, 1), { allowedTokenIds: [2, 5], temperature: 2 });
  assert.deepEqual(
    counts.map((c) => c > 0),
    [false, false, true, false, false, true],
  );
});

test('bad words: single tokens always, sequences only after their prefix', () => {
  const logits = row(0, 0, 0, 0, 9, 5);
  assert.equal(sampleOnce(logits, request({ temperature: 0, badWords: [[4]] })), 5);
  assert.equal(sampleOnce(logits, request({ temperature: 0, badWords: [[1, 4]] }, { outputs: [2] })), 4);
  assert.equal(sampleOnce(logits, request({ temperature: 0, badWords: [[1, 4]] }, { outputs: [2, 1] })), 5);
  assert.equal(
    sampleOnce(logits, request({ temperature: 0, badWords: [[3, 1, 4]] }, { outputs: [3, 1] })),
    5,
  );
});

test('min_tokens suppresses EOS and stop ids until reached; ignore_eos drops EOS suppression and stopping', () => {
  const logits = row(0, 9, 8, 1);
  const params = { temperature: 0, minTokens: 2, stopTokenIds: [2] };
  assert.equal(sampleOnce(logits, request(params, { eos: [1], outputs: [3] })), 3);
  assert.equal(sampleOnce(logits, request(params, { eos: [1], outputs: [3, 3] })), 1);
  const ignoring = request({ temperature: 0, ignoreEos: true }, { eos: [1] });
  assert.deepEqual(ignoring.eosTokenIds, []);
});

test('logprobs: raw log-softmax of the chosen token with its rank, then the top k', () => {
  const logits = row(1, 3, 2, 0);
  const r = request({ temperature: 0, logprobs: 2, logitBias: { 3: 100 } });
  const { tokenId, logprobs } = new Sampler(4).sample(logits, 0, r);
  assert.equal(tokenId, 3);
  const z = Math.log(Math.exp(1) + Math.exp(3) + Math.exp(2) + 1);
  assert.deepEqual(logprobs?.tokenIds, [3, 1, 2]);
  assert.deepEqual(logprobs?.ranks, [4, 1, 2]);
  logprobs?.logprobs.forEach((lp, i) => {
    assert.ok(Math.abs(lp - ([0, 3, 2][i] - z)) < 1e-5);
  });
});

test('prompt logprobs score each next prompt token', () => {
  const s = new Sampler(3);
  const r = request({ promptLogprobs: 1 }, { prompt: [0, 2, 1] });
  const logits = Float32Array.from([0, 0, 5, 0, 5, 0]);
  const chunk = s.promptLogprobs(logits, 0, 1, 2, r);
  assert.equal(chunk.firstPosition, 1);
  assert.deepEqual(
    chunk.entries.map((e) => [e.tokenIds, e.ranks]),
    [
      [
        [2, 2],
        [1, 1],
      ],
      [
        [1, 1],
        [1, 1],
      ],
    ],
  );
});

test('seeded sampling depends only on the request: interleaving other requests changes nothing', () => {
  const logits = row(0.1, 0.5, 0.2, 0.9, 0.3, 0.4);
  const s = new Sampler(6);
  const alone = request({ seed: 123 });
  const seqAlone = Array.from({ length: 50 }, () => s.sample(logits, 0, alone).tokenId);
  const a = request({ seed: 123 });
  const other = request({ seed: 5 });
  const seqMixed: number[] = [];
  for (let i = 0; i < 50; i++) {
    s.sample(logits, 0, other);
    seqMixed.push(s.sample(logits, 0, a).tokenId);
  }
  assert.deepEqual(seqMixed, seqAlone);
  const otherSeed = request({ seed: 124 });
  assert.notDeepEqual(
    Array.from({ length: 50 }, () => s.sample(logits, 0, otherSeed).tokenId),
    seqAlone,
  );
});

test('the sampler leaves the logits buffer untouched', () => {
  const logits = row(1, 2, 3);
  new Sampler(3).sample(logits, 0, request({ logitBias: { 0: 5 }, temperature: 0.5, repetitionPenalty: 3 }));
  assert.deepEqual([...logits], [1, 2, 3]);
});

test('selectTopK and sortByValue agree with a full sort, ties by lower id', () => {
  const rng = Xoshiro128.fromSeed(3);
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + (rng.nextUint32() % 300);
    const values = Float32Array.from({ length: n }, () => rng.nextUint32() % 20);
    const k = 1 + (rng.nextUint32() % n);
    const ids = Int32Array.from({ length: n }, (_, i) => i);
    selectTopK(values, ids, n, k);
    sortByValue(values, ids, k);
    const expected = Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => values[b] - values[a] || a - b)
      .slice(0, k);
    assert.deepEqual([...ids.subarray(0, k)], expected);
  }
});
