import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SchedulerStats, StepMetrics } from '@pdserve/engine';
import { LoadTracker, MEASUREMENT_TTL_MS } from './load-tracker.js';

const stats: SchedulerStats = {
  numRunningReqs: 3,
  numWaitingReqs: 2,
  kvCacheUsage: 0.25,
  prefixCacheStats: { requests: 0, queries: 0, hits: 0 },
  numPreemptions: 0,
  numSteps: 0,
  numGeneratedTokens: 0,
};

function step(seqs: number, tokens: number, ms: number): StepMetrics {
  return {
    numScheduledSeqs: seqs,
    numScheduledTokens: tokens,
    numSampled: seqs,
    scheduleMs: 0,
    executeMs: ms,
    sampleMs: 0,
    updateMs: 0,
  };
}

describe('LoadTracker', () => {
  it('reports the scheduler numbers and free blocks at report time', () => {
    const report = new LoadTracker({ stats: () => stats, numFreeBlocks: () => 48 }).report(1234);
    assert.deepEqual(report, {
      queueLength: 2,
      numRunning: 3,
      numWaiting: 2,
      kvUsage: 0.25,
      numFreeBlocks: 48,
      prefillTokensPerS: 0,
      decodeStepMs: [],
      timestampMs: 1234,
      numWithoutTpotSlo: 0,
    });
  });

  it('reports queued prompt tokens, measured transfer speed and the TPOT targets of unfinished requests', () => {
    const t = new LoadTracker({
      stats: () => stats,
      numFreeBlocks: () => 0,
      queuedPromptTokens: () => 700,
      transferBytesInFlight: () => 4096,
    });
    t.observeTransfer(1_000_000, 10); // 100 MB/s
    t.observeTransfer(3_000_000, 10); // 300 MB/s: EWMA 100 + 0.2 * 200 = 140 MB/s
    t.trackSlo('a', 80, 100);
    t.trackSlo('b', 50, 10);
    t.trackSlo('c', undefined, 40);
    t.trackSlo('d', 90, null);
    t.untrack('b');
    const r = t.report();
    assert.equal(r.queuedPromptTokens, 700);
    assert.equal(r.kvTransferBytesPerS, 140_000_000);
    assert.equal(r.kvTransferBytesInFlight, 4096);
    assert.equal(r.minTpotSloMs, 80);
    assert.equal(r.numWithoutTpotSlo, 1);
    assert.equal(r.meanMaxTokens, 70, "a's 100 and c's 40; d set none");
    t.untrack('a');
    t.untrack('c');
    t.untrack('d');
    const idle = t.report();
    assert.equal(idle.minTpotSloMs, undefined);
    assert.equal(idle.numWithoutTpotSlo, 0);
    assert.equal(idle.meanMaxTokens, undefined);
  });

  it('measures prefill speed on steps with prompt tokens and decode step time by batch size', () => {
    const t = new LoadTracker({ stats: () => stats, numFreeBlocks: () => 0 });
    t.observe(step(1, 500, 50)); // 10k tok/s
    t.observe(step(2, 2, 4));
    t.observe(step(2, 2, 6));
    t.observe(step(4, 4, 10));
    const r = t.report();
    assert.equal(r.prefillTokensPerS, 10_000);
    assert.deepEqual(r.decodeStepMs, [
      { batchSize: 2, stepMs: 4.4 },
      { batchSize: 4, stepMs: 10 },
    ]);
  });

  it('takes no prefill sample from a step with few prompt tokens (a transferred request joining)', () => {
    const t = new LoadTracker({ stats: () => stats, numFreeBlocks: () => 0 });
    t.observe(step(4, 6, 50)); // 2 tokens beyond one per sequence
    t.observe(step(4, 4 + 31, 50));
    assert.equal(t.report().prefillTokensPerS, 0);
    assert.deepEqual(t.report().decodeStepMs, [], 'nor a decode sample');
    t.observe(step(4, 4 + 32, 50));
    assert.equal(t.report().prefillTokensPerS, 720);
  });

  it('stops reporting speeds measured more than MEASUREMENT_TTL_MS ago, and starts afresh after', () => {
    const t = new LoadTracker({ stats: () => stats, numFreeBlocks: () => 0 });
    t.observe(step(1, 500, 50), 0); // 10k tok/s
    t.observe(step(2, 2, 100), 0);
    t.observe(step(4, 4, 10), 20_000);
    const late = t.report(MEASUREMENT_TTL_MS + 10_000);
    assert.equal(late.prefillTokensPerS, 0);
    assert.deepEqual(late.decodeStepMs, [{ batchSize: 4, stepMs: 10 }]);
    t.observe(step(2, 2, 20), 40_000); // the stale 100 ms is not averaged in
    t.observe(step(1, 101, 50), 40_000); // 2020 tok/s
    const now = t.report(40_000);
    assert.equal(now.prefillTokensPerS, 2020);
    assert.deepEqual(now.decodeStepMs, [
      { batchSize: 2, stepMs: 20 },
      { batchSize: 4, stepMs: 10 },
    ]);
  });

  it('counts the prompt tokens of the step in flight as queued, less what the measured speed has done', () => {
    const t = new LoadTracker({ stats: () => stats, numFreeBlocks: () => 0, queuedPromptTokens: () => 100 });
    t.stepStarted(600, 0, 0);
    assert.equal(t.report(50).queuedPromptTokens, 700, 'no speed measured yet: all of it');
    t.observe(step(1, 1000, 500), 0); // 2000 tok/s
    assert.equal(t.report(100).queuedPromptTokens, 100 + 400, '200 of 600 done after 100 ms');
    assert.equal(t.report(1000).queuedPromptTokens, 100, 'overdue: nothing left');
    t.stepEnded(1000);
    t.stepStarted(0, 4, 1000);
    assert.equal(t.report(1000).queuedPromptTokens, 100, 'a decode step');
  });

  it('measures the inter-token latency of decoding requests between steps that both decoded', () => {
    const t = new LoadTracker({ stats: () => stats, numFreeBlocks: () => 0 });
    const run = (start: number, end: number, prompt: number, decode: number) => {
      t.stepStarted(prompt, decode, start);
      t.stepEnded(end);
    };
    run(0, 30, 500, 0); // a prefill alone: no sample
    run(30, 60, 0, 2); // the first decode step after it: nothing to measure from
    assert.equal(t.report(60).decodeItlMs, undefined);
    run(70, 100, 0, 2); // 40 ms since the last decode step ended (10 ms of it between steps)
    run(100, 600, 400, 2); // a prefill chunk with them: 500 ms
    assert.equal(t.report(600).decodeItlMs, 40 + 0.2 * (500 - 40));
    run(5000, 5030, 0, 0); // nothing decodes: the next decode step starts afresh
    run(9000, 9040, 0, 1);
    assert.equal(t.report(9040).decodeItlMs, 132, 'unchanged');
    assert.equal(t.report(600 + MEASUREMENT_TTL_MS + 1).decodeItlMs, undefined, 'stale');
  });

  it('keeps the 16 most recently seen batch sizes', () => {
    const t = new LoadTracker({ stats: () => stats, numFreeBlocks: () => 0 });
    for (let b = 1; b <= 20; b++) t.observe(step(b, b, b));
    assert.deepEqual(
      t.report().decodeStepMs.map((s) => s.batchSize),
      Array.from({ length: 16 }, (_, i) => i + 5),
    );
  });
});
