import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineCore } from './engine-core.js';
import { FakeModelExecutor } from './fake-model-executor.js';
import { SamplingParams } from './sampling-params.js';
import { makePrompt } from './test-support.js';

const params = (maxTokens: number) => SamplingParams.create({ temperature: 0, maxTokens });

test('admissionWatermark keeps headroom free while others run, and never blocks a lone request', async () => {
  const run = async (admissionWatermark: number) => {
    const fake = new FakeModelExecutor({ vocabSize: 50, blockSize: 4, numBlocks: 20 });
    const core = new EngineCore(fake, {
      maxModelLen: 64,
      hashSeed: 'w',
      eosTokenIds: [],
      admissionWatermark,
    });
    // a: 4 blocks; b: 12 blocks, leaving 4 free with a running (a 5-block watermark refuses that).
    core.addRequest({ requestId: 'a', promptTokenIds: makePrompt(3, 14, 50), samplingParams: params(2) });
    core.addRequest({ requestId: 'b', promptTokenIds: makePrompt(4, 45, 50), samplingParams: params(2) });
    const seqsPerStep: number[] = [];
    core.onStepMetrics = (m) => seqsPerStep.push(m.numScheduledSeqs);
    while (core.hasUnfinishedRequests()) await core.step();
    return seqsPerStep;
  };
  assert.deepEqual(await run(0), [2, 2]);
  assert.deepEqual(await run(0.25), [1, 1, 1, 1]);
  // Alone, b needs 12 of 20 blocks: over the headroom rule, but nothing else runs.
  const fake = new FakeModelExecutor({ vocabSize: 50, blockSize: 4, numBlocks: 20 });
  const core = new EngineCore(fake, {
    maxModelLen: 80,
    hashSeed: 'w',
    eosTokenIds: [],
    admissionWatermark: 0.5,
  });
  core.addRequest({ requestId: 'b', promptTokenIds: makePrompt(4, 45, 50), samplingParams: params(3) });
  while (core.hasUnfinishedRequests()) await core.step();
  assert.throws(
    () => new EngineCore(fake, { maxModelLen: 8, hashSeed: 'w', eosTokenIds: [], admissionWatermark: 1 }),
    /admissionWatermark/,
  );
});
