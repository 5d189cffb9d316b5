import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelInputBuilder } from './model-input-builder.js';
import { Request } from './request.js';
import { SamplingParams } from './sampling-params.js';
import type { SchedulerOutput } from './scheduler-output.js';

const req = (id: string, prompt: number[], outputs: number[] = [], promptLogprobs: number | null = null) => {
  const r = new Request({
    requestId: id,
    promptTokenIds: prompt,
    samplingParams: SamplingParams.create({ promptLogprobs }),
    maxTokens: 8,
    eosTokenIds: [],
  });
  for (const t of outputs) r.appendOutputToken(t);
  return r;
};

test('flattens a decode and a prefill chunk with slots, block tables and logits rows', () => {
  // Block size 4. a: 5 prompt + 1 output, decoding position 5 (blocks 7, 3). b: 10-token prompt, chunk 4..8 (blocks 1, 2, 5).
  const a = req('a', [10, 11, 12, 13, 14], [15]);
  const b = req('b', [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  const out: SchedulerOutput = {
    scheduledRequests: [
      { request: a, numComputedTokens: 5, numScheduledTokens: 1, blockIds: [7, 3], isNew: false },
      { request: b, numComputedTokens: 4, numScheduledTokens: 5, blockIds: [1, 2, 5], isNew: true },
    ],
    totalNumScheduledTokens: 6,
    preemptedRequestIds: [],
    finishedRequestIds: [],
  };
  const { input, rows } = new ModelInputBuilder(4).build(out);
  assert.deepEqual([...input.tokenIds], [15, 24, 25, 26, 27, 28]);
  assert.deepEqual([...input.positions], [5, 4, 5, 6, 7, 8]);
  assert.deepEqual(
    [...input.slotMapping],
    [3 * 4 + 1, 2 * 4 + 0, 2 * 4 + 1, 2 * 4 + 2, 2 * 4 + 3, 5 * 4 + 0],
  );
  assert.deepEqual([...input.queryStart], [0, 1]);
  assert.deepEqual([...input.queryLen], [1, 5]);
  assert.deepEqual([...input.contextLen], [6, 9]);
  assert.equal(input.maxBlocksPerSeq, 3);
  assert.deepEqual([...input.blockTables], [7, 3, 0, 1, 2, 5]);
  // a samples (row 0); b's chunk stops at 9 of 10 tokens: no sampling.
  assert.deepEqual([...input.logitsRows], [0]);
  assert.equal(rows[0].sampleRow, 0);
  assert.equal(rows[1].sampleRow, -1);
});

test('prompt logprob rows cover positions not yet scored, then the sampling row', () => {
  const r = req('p', [1, 2, 3, 4, 5], [], 2);
  r.promptLogprobsUpTo = 1;
  const out: SchedulerOutput = {
    scheduledRequests: [
      { request: r, numComputedTokens: 0, numScheduledTokens: 5, blockIds: [0, 1], isNew: true },
    ],
    totalNumScheduledTokens: 5,
    preemptedRequestIds: [],
    finishedRequestIds: [],
  };
  const { input, rows } = new ModelInputBuilder(4).build(out);
  // Positions 1..3 score prompt tokens 2..4; row 4 samples.
  assert.deepEqual([...input.logitsRows], [1, 2, 3, 4]);
  assert.deepEqual(rows[0], { sampleRow: 3, promptFirstRow: 0, promptFirstPosition: 2, promptCount: 3 });
});
