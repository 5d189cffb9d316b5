import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineCore } from './engine-core.js';
import { FakeModelExecutor } from './fake-model-executor.js';
import { SamplingParams } from './sampling-params.js';
import type { StepMetrics } from './step-metrics.js';
import { makePrompt } from './test-support.js';

const BS = 4;
function setup() {
  const fake = new FakeModelExecutor({ vocabSize: 50, blockSize: BS, numBlocks: 64 });
  const core = new EngineCore(fake, {
    maxModelLen: 128,
    hashSeed: 'm',
    eosTokenIds: [],
    maxNumBatchedTokens: 16,
  });
  return core;
}
const params = (maxTokens: number) => SamplingParams.create({ temperature: 0, maxTokens });

test('onStepMetrics reports every step that ran: sizes, and non-negative timings', async () => {
  const core = setup();
  const lens = [10, 23, 7];
  const maxTokens = [6, 3, 9];
  lens.forEach((len, i) => {
    core.addRequest({
      requestId: `r${i}`,
      promptTokenIds: makePrompt(10 + i, len, 50),
      samplingParams: params(maxTokens[i]),
    });
  });
  const metrics: StepMetrics[] = [];
  core.onStepMetrics = (m) => metrics.push(m);
  let steps = 0;
  while (core.hasUnfinishedRequests()) {
    await core.step();
    steps++;
  }
  assert.equal(metrics.length, steps);
  assert.equal(
    metrics.reduce((a, m) => a + m.numSampled, 0),
    maxTokens.reduce((a, b) => a + b),
  );
  // Every prompt token and every output but the last is computed once.
  const computed = lens.reduce((a, l, i) => a + l + maxTokens[i] - 1, 0);
  assert.equal(
    metrics.reduce((a, m) => a + m.numScheduledTokens, 0),
    computed,
  );
  for (const m of metrics) {
    assert.ok(m.numScheduledTokens <= 16 && m.numScheduledSeqs >= 1 && m.numSampled <= m.numScheduledSeqs);
    for (const t of [m.scheduleMs, m.executeMs, m.sampleMs, m.updateMs])
      assert.ok(t >= 0 && Number.isFinite(t));
  }
});

test('kvSlotUsage counts held blocks once (shared prefixes too) and the computed tokens in them', async () => {
  const core = setup();
  const prefix = makePrompt(9, 8, 50);
  core.addRequest({ requestId: 'a', promptTokenIds: [...prefix, 1, 2, 3], samplingParams: params(4) });
  await core.step();
  // 11 prompt tokens: 3 blocks, 11 used.
  assert.deepEqual(core.kvSlotUsage(), { reservedSlots: 12, usedSlots: 11 });
  core.addRequest({ requestId: 'b', promptTokenIds: [...prefix, 5], samplingParams: params(4) });
  await core.step();
  // a decoded one token (12 in 3 blocks); b hit the 2 shared prefix blocks and added 1 block for its 9th token.
  assert.deepEqual(core.kvSlotUsage(), { reservedSlots: 16, usedSlots: 13 });
  while (core.hasUnfinishedRequests()) await core.step();
  assert.deepEqual(core.kvSlotUsage(), { reservedSlots: 0, usedSlots: 0 });
});
