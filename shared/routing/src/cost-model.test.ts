import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteRequest } from '@pdserve/protocol';
import { CostModel } from './cost-model.js';
import { DEFAULT_COST_MODEL_PARAMS } from './cost-model-params.js';
import { learnInputs } from './instance-inputs.js';
import { hashes, instance, snapshot } from './test-snapshots.js';

const params = { ...DEFAULT_COST_MODEL_PARAMS, submitOverheadMs: 5 };
const model = new CostModel(params);

/** 300 prompt tokens (18 full blocks), 100 output tokens. */
const request: RouteRequest = {
  requestId: 'r',
  model: 'm',
  numPromptTokens: 300,
  blockHashes: hashes(18),
  maxTokens: 100,
  arrivalTimeMs: 0,
};

// Decode instance: 1000 tok/s prefill, 500 tokens queued, 4 running + 1 waiting (asking 100 tokens on
// average), step = 20 + 2 x batch, the first 4 prompt blocks cached.
const d = instance('d', 'decode', {
  load: {
    prefillTokensPerS: 1000,
    queuedPromptTokens: 500,
    numRunning: 4,
    numWaiting: 1,
    numFreeBlocks: 100,
    meanMaxTokens: 100,
    decodeStepMs: [
      { batchSize: 2, stepMs: 24 },
      { batchSize: 6, stepMs: 32 },
    ],
  },
  cached: hashes(4),
});
// Prefill instance: 2000 tok/s, 1000 tokens queued, transfers at 1000 blocks of 4096 bytes per second.
const p = instance('p', 'prefill', {
  load: { prefillTokensPerS: 2000, queuedPromptTokens: 1000, kvTransferBytesPerS: 4096 * 1000 },
});
const inputs = learnInputs(snapshot(d, p), params, 100);

describe('CostModel', () => {
  it('colocated: TTFT = overhead + queue + uncached prefill; TPOT = fitted step at batch + 1, plus stolen prefill time for those running', () => {
    const o = model.colocated(request, d, inputs.get('d')!);
    assert.equal(o.cachedTokens, 64);
    assert.equal(o.uncachedTokens, 236);
    assert.equal(o.terms.queueMs, 500); // 500 tokens at 1000 tok/s
    assert.equal(o.terms.prefillMs, 236);
    assert.equal(o.ttftMs, 5 + 500 + 236);
    assert.equal(o.terms.batchSize, 6); // 4 running + 1 waiting + this one
    assert.equal(o.terms.stepMs, 32); // 20 + 2 x 6
    assert.equal(o.terms.interferenceMs, (500 + 236) / 100); // its queue and this prompt over their 100 tokens
    assert.equal(o.tpotMs, 32);
    assert.equal(o.runningTpotMs, 32 + 7.36);
    assert.equal(o.runningTpotTargetMs, 100, 'requests without a target there are held to the default');
    // 400 tokens = 25 blocks, 4 of them cached, 100 free
    assert.equal(o.kvFits, true);
  });

  it('disaggregated: TTFT adds a second submit, KV bytes / measured bandwidth and one decode step', () => {
    const o = model.disaggregated(request, p, inputs.get('p')!, d, inputs.get('d')!);
    assert.equal(o.cachedTokens, 0, "P's cache does not hold the prompt");
    assert.equal(o.terms.queueMs, 500); // 1000 tokens at 2000 tok/s
    assert.equal(o.terms.prefillMs, 150); // 300 tokens at 2000 tok/s
    assert.equal(o.terms.transferMs, 19); // 19 blocks at 1000 blocks/s
    assert.equal(o.terms.joinMs, 32);
    assert.equal(o.ttftMs, 2 * 5 + 500 + 150 + 19 + 32);
    assert.equal(o.tpotMs, 32);
    assert.equal(o.runningTpotMs, 32 + 500 / 100, "D's own queued prefill still steals from those running");
  });

  it('disaggregated: queues behind what is left of hand-overs under way, and is stalled by local prefill left when it joins', () => {
    // 1000 blocks' worth of bytes in flight: 1 s of transfer, of which the 650 ms of queue and prefill leave 350 ms.
    const busyP = { ...p, load: { ...p.load, kvTransferBytesInFlight: 4096 * 1000 } };
    // D has 2 s of its own prefill queued: 2000 tokens at 1000 tok/s.
    const busyD = { ...d, load: { ...d.load, queuedPromptTokens: 2000 } };
    const i = learnInputs(snapshot(busyD, busyP), params, 100);
    const o = model.disaggregated(request, busyP, i.get('p')!, busyD, i.get('d')!);
    assert.equal(o.terms.transferMs, 19 + 350);
    assert.equal(o.ttftMs, 2 * 5 + 500 + 150 + 369 + 32); // 1061 ms
    assert.equal(
      o.tpotMs,
      32 + (2000 - 1061) / 100,
      'what is left of the 2 s after it joins, over its 100 tokens',
    );
    assert.equal(o.runningTpotMs, 32 + 2000 / 100);
  });

  it('predicts at least the inter-token latency the decode side measured lately, scaled to one more sequence', () => {
    // Its requests saw 60 ms per token at batch 5, where the fit says 30 ms: 60 x 32 / 30 = 64 ms at 6.
    const slow = { ...d, load: { ...d.load, decodeItlMs: 60 } };
    const i = learnInputs(snapshot(slow, p), params, 100);
    const o = model.colocated(request, slow, i.get('d')!);
    assert.equal(o.terms.observedMs, 64);
    assert.equal(o.tpotMs, 64);
    assert.equal(o.runningTpotMs, 64 + 236 / 100, 'plus this prompt over their tokens');
    const pair = model.disaggregated(request, p, i.get('p')!, slow, i.get('d')!);
    assert.deepEqual([pair.tpotMs, pair.runningTpotMs], [64, 64]);
    const idle = { ...slow, load: { ...slow.load, numRunning: 0, numWaiting: 0 } };
    const quiet = model.colocated(request, idle, learnInputs(snapshot(idle), params, 100).get('d')!);
    assert.equal(quiet.terms.observedMs, 0, 'nothing decodes there now');
  });

  it('counts pending placements and refuses what the KV cache cannot hold', () => {
    const busy = {
      ...d,
      load: { ...d.load, numFreeBlocks: 30 },
      pending: { decodeRequests: 2, promptTokens: 100, blocks: 10, numWithoutTpotSlo: 0, minTpotMs: 60 },
    };
    const i = learnInputs(snapshot(busy), params, 100).get('d')!;
    assert.equal(i.queuedPromptTokens, 600);
    assert.equal(i.batchSize, 7);
    assert.equal(i.freeBlocks, 20);
    assert.equal(i.runningTpotTargetMs, 60);
    const o = model.colocated(request, busy, i);
    assert.equal(o.terms.stepMs, 20 + 2 * 8);
    assert.equal(o.kvFits, false, '21 blocks needed, 20 free');
  });

  it('uses the model-wide mean, then the prior, for speeds an instance has not measured', () => {
    const fresh = instance('e', 'both');
    const measured = instance('f', 'both', {
      load: { prefillTokensPerS: 3000, decodeStepMs: [{ batchSize: 1, stepMs: 11 }] },
    });
    const pooled = learnInputs(snapshot(fresh, measured), params, 100).get('e')!;
    assert.deepEqual([pooled.prefillTokensPerS, pooled.prefillSource], [3000, 'model']);
    assert.equal(pooled.decodeSource, 'model');
    assert.equal(pooled.transferSource, 'default');
    const alone = learnInputs(snapshot(fresh), params, 100).get('e')!;
    assert.deepEqual(
      [alone.prefillTokensPerS, alone.prefillSource, alone.decodeSource],
      [params.priorPrefillTokensPerS, 'prior', 'prior'],
    );
    assert.equal(alone.runningTpotTargetMs, null, 'nothing decodes there');
  });
});
