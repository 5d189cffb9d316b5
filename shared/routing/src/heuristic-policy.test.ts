import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteRequest } from '@pdserve/protocol';
import { HeuristicPolicy } from './heuristic-policy.js';
import { hashes, instance, snapshot } from './test-snapshots.js';

function request(numPromptTokens: number, over: Partial<RouteRequest> = {}): RouteRequest {
  return {
    requestId: 'r1',
    model: 'm',
    numPromptTokens,
    blockHashes: hashes(Math.floor(numPromptTokens / 16)),
    maxTokens: 16,
    arrivalTimeMs: 0,
    ...over,
  };
}

function decide(policy: HeuristicPolicy, req: RouteRequest, ...instances: ReturnType<typeof instance>[]) {
  const outcome = policy.route(req, snapshot(...instances));
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome.decision;
}

describe('HeuristicPolicy', () => {
  const policy = new HeuristicPolicy({ longPromptTokens: 256 });

  it('runs a short prompt colocated on a decode instance, never on a prefill-only one', () => {
    const d = decide(policy, request(40), instance('p1', 'prefill'), instance('d1', 'decode'));
    assert.equal(d.mode, 'colocated');
    assert.equal(d.decodeInstanceId, 'd1');
    assert.equal(d.prefillInstanceId, undefined);
  });

  it('sends a long prompt to a (prefill, decode) pair', () => {
    const d = decide(policy, request(600), instance('p1', 'prefill'), instance('d1', 'decode'));
    assert.equal(d.mode, 'disaggregated');
    assert.equal(d.prefillInstanceId, 'p1');
    assert.equal(d.decodeInstanceId, 'd1');
  });

  it('prefills a long prompt locally when the decode instance has most of it cached', () => {
    const cached = hashes(30); // 480 of 500 tokens
    const d = decide(policy, request(500), instance('p1', 'prefill'), instance('d1', 'decode', { cached }));
    assert.equal(d.mode, 'colocated');
    assert.equal(d.numCachedTokens, 480);
  });

  it('keeps a long prompt colocated when no prefill instance can hand KV to a decode instance', () => {
    const noAgent = instance('p1', 'prefill', { transports: [] });
    assert.equal(decide(policy, request(600), noAgent, instance('d1', 'decode')).mode, 'colocated');
    const otherModel = instance('p2', 'prefill', { info: { modelFingerprint: 'other' } });
    assert.equal(decide(policy, request(600), otherModel, instance('d1', 'decode')).mode, 'colocated');
    const ucxOnly = instance('p3', 'prefill', { transports: ['ucx'] });
    assert.equal(decide(policy, request(600), ucxOnly, instance('d1', 'decode')).mode, 'colocated');
  });

  it('picks the least loaded instance by queue + running and KV usage', () => {
    const busy = instance('a', 'decode', { load: { queueLength: 2, numRunning: 3 } });
    const idle = instance('b', 'decode', { load: { numRunning: 1 } });
    assert.equal(decide(policy, request(40), busy, idle).decodeInstanceId, 'b');
    const fullKv = instance('c', 'decode', { load: { numRunning: 1, kvUsage: 0.9 } });
    const emptyKv = instance('d', 'decode', { load: { numRunning: 2, kvUsage: 0 } });
    assert.equal(decide(policy, request(40), fullKv, emptyKv).decodeInstanceId, 'd');
  });

  it('trades load against prefix hits and breaks ties by id', () => {
    const warm = instance('warm', 'both', { load: { numRunning: 1 }, cached: hashes(12) });
    const cold = instance('cold', 'both');
    // 192 cached tokens of 200 save 0.75 of a queued request, less than warm's one running request costs.
    assert.equal(decide(policy, request(200), warm, cold).decodeInstanceId, 'cold');
    const warmer = instance('warm', 'both', { cached: hashes(12) });
    assert.equal(decide(policy, request(200), warmer, cold).decodeInstanceId, 'warm');
    assert.equal(
      decide(policy, request(10), instance('y', 'both'), instance('x', 'both')).decodeInstanceId,
      'x',
    );
  });

  it('picks the prefill instance with the best prefix hit and the least loaded compatible decode instance', () => {
    const d = decide(
      policy,
      request(800),
      instance('p-cold', 'prefill'),
      instance('p-warm', 'prefill', { cached: hashes(10) }),
      instance('d-busy', 'decode', { load: { numRunning: 8 } }),
      instance('d-free', 'decode'),
    );
    assert.deepEqual(
      [d.mode, d.prefillInstanceId, d.decodeInstanceId, d.numCachedTokens],
      ['disaggregated', 'p-warm', 'd-free', 160],
    );
  });

  it('counts only the leading run of cached blocks, and never the whole prompt', () => {
    const gap = instance('d1', 'decode', { cached: ['h0', 'h1', 'h3'] });
    assert.equal(decide(policy, request(64), gap).numCachedTokens, 32);
    const all = instance('d2', 'decode', { cached: hashes(4) });
    assert.equal(decide(policy, request(64), all).numCachedTokens, 63);
  });

  it('skips excluded instances and instances whose context is too short', () => {
    const d = decide(
      policy,
      request(100, { excludeInstanceIds: ['a'] }),
      instance('a', 'decode'),
      instance('short', 'decode', { info: { maxModelLen: 100 } }),
      instance('c', 'decode', { load: { numRunning: 5 } }),
    );
    assert.equal(d.decodeInstanceId, 'c');
  });

  it("rejects 'unavailable' with Retry-After when no instance can decode", () => {
    for (const instances of [[], [instance('p1', 'prefill')]]) {
      const outcome = policy.route(request(40), snapshot(...instances));
      assert.equal(outcome.ok, false);
      if (outcome.ok) return;
      assert.equal(outcome.error.code, 'unavailable');
      assert.equal(outcome.error.retryAfterS, 1);
    }
  });

  it("rejects 'overloaded' when every decode instance's queue is full", () => {
    const small = new HeuristicPolicy({ maxQueueLength: 4, retryAfterS: 3 });
    const outcome = small.route(
      request(40),
      snapshot(instance('d1', 'decode', { load: { queueLength: 4 } })),
    );
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.error.code, 'overloaded');
    assert.equal(outcome.error.retryAfterS, 3);
  });

  it('predicts TTFT from the measured prefill speed and TPOT from the nearest measured batch size', () => {
    const d = decide(
      policy,
      request(100),
      instance('d1', 'decode', {
        load: {
          numRunning: 3,
          prefillTokensPerS: 1000,
          decodeStepMs: [
            { batchSize: 1, stepMs: 5 },
            { batchSize: 4, stepMs: 9 },
          ],
        },
      }),
    );
    assert.equal(d.predictedTtftMs, 100);
    assert.equal(d.predictedTpotMs, 9);
  });

  it('is a pure function: the same inputs give the same decision and the snapshot is untouched', () => {
    const snap = snapshot(instance('a', 'decode', { cached: hashes(3) }), instance('b', 'both'));
    const before = JSON.stringify(snap, (_k, v) => (v instanceof Set ? [...v] : v));
    const first = policy.route(request(64), snap);
    assert.deepEqual(policy.route(request(64), snap), first);
    assert.equal(
      JSON.stringify(snap, (_k, v) => (v instanceof Set ? [...v] : v)),
      before,
    );
  });
});
