import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadReport, RouteRequest } from '@pdserve/protocol';
import { ServiceError } from '@pdserve/protocol';
import type { RouteOutcome } from './routing-policy.js';
import { SloPolicy } from './slo-policy.js';
import { hashes, instance, snapshot } from './test-snapshots.js';

// Defaults: TTFT 2000 ms, TPOT 100 ms, planned to 80% and 90%: budgets 1600 and 90 ms.
const policy = new SloPolicy({ costModel: { submitOverheadMs: 5 } });

/** A measured instance: 1000 tok/s prefill, step = 20 + 2 x batch ms, nothing queued. */
function measured(load: Partial<LoadReport> = {}): Partial<LoadReport> {
  return {
    prefillTokensPerS: 1000,
    queuedPromptTokens: 0,
    numWithoutTpotSlo: 0,
    decodeStepMs: [
      { batchSize: 1, stepMs: 22 },
      { batchSize: 5, stepMs: 30 },
    ],
    ...load,
  };
}

function req(over: Partial<RouteRequest> = {}): RouteRequest {
  return {
    requestId: 'r',
    model: 'm',
    numPromptTokens: 100,
    blockHashes: hashes(6),
    maxTokens: 100,
    arrivalTimeMs: 0,
    ...over,
  };
}

function placed(outcome: RouteOutcome) {
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome.decision;
}

function refused(outcome: RouteOutcome) {
  assert.ok(!outcome.ok, 'expected a rejection');
  assert.ok(outcome.error instanceof ServiceError);
  return outcome;
}

describe('SloPolicy: placement', () => {
  it('places where the smallest headroom is largest (the less loaded decode batch)', () => {
    const a = instance('a', 'both', { load: measured({ numRunning: 10, numWithoutTpotSlo: 10 }) });
    const b = instance('b', 'both', { load: measured({ numRunning: 2, numWithoutTpotSlo: 2 }) });
    const d = placed(policy.route(req(), snapshot(a, b)));
    assert.deepEqual([d.mode, d.decodeInstanceId], ['colocated', 'b']);
    assert.equal(d.predictedTtftMs, 5 + 100); // 100 uncached tokens at 1000 tok/s
    assert.equal(d.predictedTpotMs, 26); // 20 + 2 x 3
  });

  it('prefers the instance holding the prompt prefix when all else is equal', () => {
    const a = instance('a', 'both', { load: measured() });
    const b = instance('b', 'both', { load: measured(), cached: hashes(6) });
    const d = placed(policy.route(req(), snapshot(a, b)));
    assert.deepEqual([d.decodeInstanceId, d.numCachedTokens], ['b', 96]);
  });

  it('sends a long prompt to a prefill instance when prefilling it locally would break running TPOT targets', () => {
    // 8 decoding 32 tokens each with a 50 ms target (budget 45): step at 9 = 38 ms fits; 1024 local
    // prompt tokens would add 32 ms to each of their tokens.
    const d = instance('d', 'decode', {
      load: measured({ numRunning: 8, minTpotSloMs: 50, meanMaxTokens: 32 }),
    });
    const p = instance('p', 'prefill', { load: measured() });
    const long = req({ numPromptTokens: 1024, blockHashes: hashes(64), maxTokens: 32 });
    const pair = placed(policy.route(long, snapshot(d, p)));
    assert.deepEqual([pair.mode, pair.prefillInstanceId, pair.decodeInstanceId], ['disaggregated', 'p', 'd']);
    assert.ok(pair.predictedTtftMs > 1024 && pair.predictedTtftMs < 1600, `${pair.predictedTtftMs}`);
    assert.equal(pair.predictedTpotMs, 38);
  });

  it('prefills a short prompt locally when the prefill instance is backed up', () => {
    const d = instance('d', 'decode', { load: measured({ numRunning: 2, numWithoutTpotSlo: 2 }) });
    const p = instance('p', 'prefill', { load: measured({ queuedPromptTokens: 10_000 }) });
    const d1 = placed(policy.route(req(), snapshot(d, p)));
    assert.deepEqual([d1.mode, d1.decodeInstanceId], ['colocated', 'd']);
  });

  it('admits when one option fits although others miss', () => {
    const jammed = instance('a', 'both', { load: measured({ queuedPromptTokens: 5000 }) });
    const free = instance('b', 'both', { load: measured() });
    assert.equal(placed(policy.route(req(), snapshot(jammed, free))).decodeInstanceId, 'b');
  });

  it('uses the per-request targets from the hints', () => {
    const a = instance('a', 'both', { load: measured({ queuedPromptTokens: 1000 }) }); // TTFT 1105
    assert.ok(policy.route(req(), snapshot(a)).ok, 'within the default 2000 ms');
    refused(policy.route(req({ slo: { ttftMs: 1000 } }), snapshot(a)));
  });
});

describe('SloPolicy: admission control', () => {
  it('rejects at once, not queueable, when every option misses TTFT; Retry-After from the excess', () => {
    const a = instance('a', 'both', { load: measured({ queuedPromptTokens: 5000 }) });
    const o = refused(policy.route(req(), snapshot(a)));
    assert.equal(o.error.code, 'overloaded');
    assert.equal(o.queueable, undefined);
    // TTFT 5 + 5000 + 100 = 5105 against a budget of 1600: 3505 ms over -> 4 s
    assert.equal(o.error.retryAfterS, 4);
    assert.match(o.error.message, /misses ttft/);
  });

  it('never admits what would push a running request past its TPOT target, even if the new one would meet its own', () => {
    // 8 running, tightest target 40 (budget 36); at batch 9 the step is 38 ms.
    const a = instance('a', 'both', { load: measured({ numRunning: 8, minTpotSloMs: 40 }) });
    const loose = req({ slo: { tpotMs: 200 }, numPromptTokens: 16, blockHashes: hashes(1) });
    const o = refused(policy.route(loose, snapshot(a)));
    assert.equal(o.error.code, 'overloaded');
    assert.match(o.error.message, /running-tpot/);
    assert.equal(o.queueable, true, 'TTFT still holds: worth waiting for the batch to shrink');
    const same = instance('a', 'both', { load: measured({ numRunning: 8 }) });
    assert.ok(policy.route(loose, snapshot(same)).ok, 'without a running target it fits');
  });

  it('lets a request decode alone on an idle instance whose batch-1 step misses its TPOT target, and no more', () => {
    const slow = measured({ decodeStepMs: [{ batchSize: 1, stepMs: 150 }] }); // 150 ms > 90 ms
    const idle = instance('a', 'both', { load: slow });
    assert.equal(placed(policy.route(req(), snapshot(idle))).predictedTpotMs, 150);
    const one = instance('a', 'both', { load: { ...slow, numRunning: 1, numWithoutTpotSlo: 1 } });
    assert.match(refused(policy.route(req(), snapshot(one))).error.message, /misses tpot, running-tpot/);
  });

  it('stops queueing once the wait used its share of the TTFT budget', () => {
    const a = instance('a', 'both', { load: measured({ numRunning: 36, numWithoutTpotSlo: 36 }) }); // step 94 ms
    const waited = { ...snapshot(a), nowMs: 1000 }; // the request arrived at 0: half of 2000 ms used
    const o = refused(policy.route(req(), waited));
    assert.equal(o.queueable, undefined);
    assert.equal(refused(policy.route(req(), snapshot(a))).queueable, true);
  });

  it('answers unavailable when no decode instance can take the prompt', () => {
    const small = instance('a', 'both', { info: { maxModelLen: 64 }, load: measured() });
    assert.equal(refused(policy.route(req(), snapshot(small))).error.code, 'unavailable');
  });
});

describe('SloPolicy: cold start', () => {
  it('runs a request on an idle instance with unmeasured speeds even when the prior predicts a miss', () => {
    const cold = instance('a', 'both'); // nothing measured: prior 1000 tok/s
    const tight = req({ numPromptTokens: 600, blockHashes: hashes(37), slo: { ttftMs: 300 } });
    const d = placed(policy.route(tight, snapshot(cold)));
    assert.equal(d.decodeInstanceId, 'a');
    const busy = instance('a', 'both', { load: { numRunning: 1 } });
    assert.equal(refused(policy.route(tight, snapshot(busy))).error.code, 'overloaded', 'not when busy');
    const warm = instance('a', 'both', { load: measured() });
    assert.equal(refused(policy.route(tight, snapshot(warm))).error.code, 'overloaded', 'not once measured');
  });
});
