import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  applyLogitsProcessors,
  Request,
  Sampler,
  SamplingParams,
  type SamplingParamsInit,
  Xoshiro128,
} from '@pdserve/engine';
import { sampleBatch, samplingIsa } from '@pdserve/native';

// The native sampler against the engine's TypeScript Sampler (the reference) on fresh random
// logits: the same request seeds give the same uniforms, so every row must give the same token,
// except where float rounding can move a decision: the uniform (or top_p's target) lies within
// MARGIN of the total weight from a CDF boundary. Such rows are checked against an exact f64
// recomputation (both tokens must sit on either side of that boundary) and must stay rare.

const VOCAB = 32_000;
const ROWS = 40;
/** Relative distance to a CDF boundary within which f32 weights may decide differently. */
const MARGIN = 1e-5;
const SETTINGS: SamplingParamsInit[] = [
  { temperature: 0, logprobs: 3 },
  { temperature: 1 },
  { temperature: 0.6 },
  { temperature: 1.5, topK: 40 },
  { temperature: 1, topK: 1000 },
  { temperature: 1, topP: 0.9 },
  { temperature: 0.8, topP: 0.5, topK: 200 },
  { temperature: 1, minP: 0.05, logprobs: 0 },
  { temperature: 1.2, minP: 0.02, topP: 0.95, logprobs: 5 },
  { temperature: 1, repetitionPenalty: 1.3, logitBias: { 5: 8 }, presencePenalty: 0.5 },
];

/** Logits like a model's: normal with spread 2.5, every fourth row with one dominant token. */
function randomLogits(gen: Xoshiro128): Float32Array {
  const x = new Float32Array(ROWS * VOCAB);
  for (let i = 0; i < x.length; i++) {
    const u = 1 - gen.nextFloat();
    x[i] = 2.5 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * gen.nextFloat());
  }
  for (let r = 0; r < ROWS; r += 4) x[r * VOCAB + Math.floor(gen.nextFloat() * VOCAB)] += 12;
  return x;
}

function requests(init: SamplingParamsInit, seed: number): Request[] {
  return Array.from({ length: ROWS }, (_, i) => {
    const r = new Request({
      requestId: `p${i}`,
      promptTokenIds: [5, 9, 5],
      samplingParams: SamplingParams.create({ ...init, seed: seed + i }),
      maxTokens: 8,
      eosTokenIds: [],
    });
    r.appendOutputToken(i % 7);
    return r;
  });
}

/**
 * Whether a disagreement between tokens a and b on row x (processed logits) is a rounding
 * decision: recomputed in f64, some CDF boundary between a and b lies within MARGIN of u * total,
 * or the nucleus boundary lies within MARGIN of top_p's target.
 */
function nearBoundary(x: Float32Array, p: SamplingParams, u: number, a: number, b: number): boolean {
  const ids = Array.from({ length: x.length }, (_, i) => i).filter((i) => x[i] !== Number.NEGATIVE_INFINITY);
  const max = Math.max(...ids.map((i) => x[i]));
  const threshold = p.minP > 0 ? max + p.temperature * Math.log(p.minP) : Number.NEGATIVE_INFINITY;
  let kept = ids.filter((i) => x[i] >= threshold).sort((i, j) => x[j] - x[i] || i - j);
  if (p.topK > 0) kept = kept.slice(0, p.topK);
  const w = (i: number) => Math.exp((x[i] - max) / p.temperature);
  const all = kept.reduce((s, i) => s + w(i), 0);
  if (p.topP < 1) {
    let cum = 0;
    let m = 0;
    while (m < kept.length && cum < p.topP * all) cum += w(kept[m++]);
    if (
      Math.abs(cum - p.topP * all) <= MARGIN * all ||
      Math.abs(cum - w(kept[m - 1]) - p.topP * all) <= MARGIN * all
    )
      return true;
    kept = kept.slice(0, m);
  }
  kept.sort((i, j) => i - j);
  const total = kept.reduce((s, i) => s + w(i), 0);
  const [lo, hi] = a < b ? [a, b] : [b, a];
  let cum = 0;
  for (const i of kept) {
    if (i > lo && i <= hi && Math.abs(cum - u * total) <= MARGIN * total) return true;
    cum += w(i);
  }
  return false;
}

test(`native sampler (${samplingIsa()}) = TypeScript Sampler for the same uniforms, on random logits`, async (t) => {
  const gen = Xoshiro128.fromSeed(2024);
  const ts = new Sampler(VOCAB);
  const native = new Sampler(VOCAB, { sampleBatch });
  let rounding = 0;
  let random = 0;
  for (const [s, init] of SETTINGS.entries()) {
    const logits = randomLogits(gen);
    const forNative = requests(init, 100 * s);
    const forTs = requests(init, 100 * s);
    const uniforms = forTs.map((r) => Xoshiro128.fromState(r.rng.getState()).nextFloat());
    const got = await native.sampleRows(
      logits,
      forNative.map((request, row) => ({ row, request })),
    );
    forTs.forEach((request, row) => {
      const want = ts.sample(logits, row, request);
      const tag = `setting ${s} ${JSON.stringify(init)} row ${row}`;
      assert.deepEqual(request.rng.getState(), forNative[row].rng.getState(), `${tag}: one draw each`);
      compareLogprobs(got[row].logprobs, want.logprobs, tag);
      if (!request.samplingParams.isGreedy) random++;
      if (got[row].tokenId === want.tokenId) return;
      const x = logits.slice(row * VOCAB, (row + 1) * VOCAB);
      applyLogitsProcessors(x, request);
      const explained =
        !request.samplingParams.isGreedy &&
        nearBoundary(x, request.samplingParams, uniforms[row], got[row].tokenId, want.tokenId);
      assert.ok(
        explained,
        `${tag}: native ${got[row].tokenId}, TypeScript ${want.tokenId}, not at a boundary`,
      );
      rounding++;
    });
  }
  t.diagnostic(`${random} random draws, ${rounding} decided differently at a CDF boundary`);
  assert.ok(rounding <= Math.max(1, 0.02 * random), `${rounding} of ${random} draws differ at a boundary`);
});

function compareLogprobs(
  got: { tokenIds: number[]; logprobs: number[]; ranks: number[] } | null,
  want: { tokenIds: number[]; logprobs: number[]; ranks: number[] } | null,
  tag: string,
): void {
  if (got === null || want === null) {
    assert.equal(got, want, `${tag}: logprobs presence`);
    return;
  }
  // Ranks and top ids are compared where the chosen tokens agree (a boundary row may differ).
  if (got.tokenIds[0] !== want.tokenIds[0]) return;
  assert.deepEqual(got.tokenIds, want.tokenIds, `${tag}: logprob ids`);
  assert.deepEqual(got.ranks, want.ranks, `${tag}: ranks`);
  got.logprobs.forEach((lp, i) => {
    assert.ok(Math.abs(lp - want.logprobs[i]) < 1e-4, `${tag}: logprob ${i} ${lp} vs ${want.logprobs[i]}`);
  });
}

if (process.env.PDSERVE_ISA === undefined) {
  test('the same parity holds with PDSERVE_ISA=portable', () => {
    // Without NODE_TEST_CONTEXT: with it a nested `node --test` reports to its parent and exits 0.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=dot', fileURLToPath(import.meta.url)], {
      env: { ...env, PDSERVE_ISA: 'portable' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `portable run failed:\n${r.stdout}\n${r.stderr}`);
  });
}
