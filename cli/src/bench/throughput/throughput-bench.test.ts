import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadModel } from '@pdserve/model';
import {
  checkFitsModelLen,
  DatasetError,
  lengthRange,
  makeRandomRequests,
  promptTokenPool,
} from './random-dataset.js';
import { kvBlocksForCap, runThroughputBench } from './throughput-bench.js';

const stories = fileURLToPath(new URL('../../../../models/stories260K/', import.meta.url));
const modelPath = `${stories}stories260K.bin`;
const tokenizerPath = `${stories}tok512.bin`;
const main = fileURLToPath(new URL('../../main.js', import.meta.url));
const model = loadModel(modelPath, { tokenizerPath });
/** 20.5 blocks of stories260K's f32 KV: 20 blocks, 3 reservations of 96 tokens (6 blocks each). */
const KV_GB = (20.5 * kvBlocksForCap(model, 1).blockBytes) / 1024 ** 3;
const BASE = {
  model: modelPath,
  tokenizer: tokenizerPath,
  numPrompts: 12,
  inputLen: 24,
  outputLen: 12,
  rangeRatio: 0.5,
  prefixLen: 20,
  kvCacheGb: KV_GB,
  maxModelLen: 96,
  dtype: 'f32' as const,
  seed: 3,
  baseline: 'static' as const,
  samplerCost: false,
};

test('random dataset: lengths in range, the shared prefix, no special tokens, reproducible', () => {
  const pool = promptTokenPool(model.tokenizer);
  assert.ok(!pool.includes(0) && !pool.includes(1) && !pool.includes(2), 'unk, BOS and EOS are excluded');
  assert.equal(pool.length, 509);
  const o = {
    numPrompts: 50,
    inputLen: 20,
    outputLen: 10,
    rangeRatio: 0.5,
    prefixLen: 7,
    tokenPool: pool,
    seed: 9,
  };
  const reqs = makeRandomRequests(o);
  assert.deepEqual(makeRandomRequests(o), reqs);
  const [inLo, inHi] = lengthRange(20, 0.5);
  assert.deepEqual([inLo, inHi], [10, 30]);
  for (const r of reqs) {
    assert.deepEqual(r.promptTokenIds.slice(0, 7), reqs[0].promptTokenIds.slice(0, 7));
    assert.ok(r.promptTokenIds.length >= 7 + inLo && r.promptTokenIds.length <= 7 + inHi);
    assert.ok(r.outputLen >= 5 && r.outputLen <= 15);
    assert.ok(r.promptTokenIds.every((t) => pool.includes(t)));
  }
  assert.ok(new Set(reqs.map((r) => r.outputLen)).size > 3, 'lengths vary');
  assert.throws(() => checkFitsModelLen(o, 7 + 30 + 14), DatasetError);
  checkFitsModelLen(o, 7 + 30 + 15);
});

test('greedy: the static baseline generates exactly the engine tokens; every request gets its drawn length', async () => {
  const { report, requests, engine, baseline } = await runThroughputBench({ ...BASE, temperature: 0 });
  assert.ok(baseline !== null);
  assert.equal(baseline.batchSize, 3);
  assert.equal(report.baseline_batch_size, 3);
  requests.forEach((r, i) => {
    assert.equal(engine.outputs[i].length, r.outputLen, `engine request ${i}`);
    assert.equal(baseline.outputs[i].length, r.outputLen, `static request ${i}`);
  });
  assert.deepEqual(baseline.outputs, engine.outputs);
  assert.ok(engine.numPreemptions > 0, 'the small pool makes the engine preempt');
  assert.ok((report.prefix_hit_rate as number) > 0, 'the 20-token prefix fills one cached block');
});

test('`bench throughput --json` prints one JSON object with sane values', async () => {
  const args = Object.entries({ ...BASE, kvCacheGb: KV_GB })
    .filter(([k]) => k !== 'samplerCost')
    .flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(v)]);
  const { stdout } = await promisify(execFile)(process.execPath, [
    main,
    'bench',
    'throughput',
    ...args,
    '--json',
  ]);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const r = JSON.parse(lines[0]) as Record<string, unknown>;
  for (const key of [
    'output_tokens_per_s',
    'requests_per_s',
    'total_tokens_per_s',
    'kv_waste',
    'prefix_hit_rate',
    'mean_batch_size',
    'scheduler_overhead_frac',
    'sampler_frac',
    'batch1_decode_tokens_per_s',
    'baseline_output_tokens_per_s',
    'speedup_vs_baseline',
  ]) {
    assert.equal(typeof r[key], 'number', key);
    assert.ok(Number.isFinite(r[key]) && (r[key] as number) >= 0, `${key} = ${r[key]}`);
  }
  assert.equal(r.num_completed, 12);
  assert.equal(r.baseline_num_completed, 12);
  assert.equal(r.baseline_batch_size, 3);
  assert.equal(r.num_kv_blocks, 20);
  assert.ok((r.kv_waste as number) < 1 && (r.baseline_kv_waste as number) < 1);
  assert.ok((r.mean_batch_size as number) >= 1);
  for (const f of ['runner_frac', 'sampler_frac', 'scheduler_overhead_frac'])
    assert.ok((r[f] as number) <= 1, `${f} = ${r[f]}`);
  assert.ok(Array.isArray(r.sampler_cost) && r.sampler_cost.length === 3);
});
