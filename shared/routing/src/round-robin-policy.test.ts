import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteRequest } from '@pdserve/protocol';
import { RoundRobinPolicy } from './round-robin-policy.js';
import { hashes, instance, snapshot } from './test-snapshots.js';

const req = (over: Partial<RouteRequest> = {}): RouteRequest => ({
  requestId: 'r',
  model: 'm',
  numPromptTokens: 2000,
  blockHashes: hashes(4),
  maxTokens: 8,
  arrivalTimeMs: 0,
  ...over,
});

describe('RoundRobinPolicy', () => {
  it('takes the decode and both instances in turn, colocated, whatever their load; never a prefill instance', () => {
    const policy = new RoundRobinPolicy();
    const s = snapshot(
      instance('b', 'both', { load: { queueLength: 1000, numRunning: 64 } }),
      instance('a', 'both'),
      instance('p', 'prefill'),
    );
    const picks = Array.from({ length: 4 }, () => {
      const o = policy.route(req(), s);
      assert.ok(o.ok);
      assert.equal(o.decision.mode, 'colocated');
      return o.decision.decodeInstanceId;
    });
    assert.deepEqual(picks, ['a', 'b', 'a', 'b']);
  });

  it('skips excluded instances, reports prefix hits, and is unavailable with no decode instance', () => {
    const policy = new RoundRobinPolicy({ retryAfterS: 3 });
    const s = snapshot(instance('a', 'both'), instance('b', 'both', { cached: hashes(4) }));
    const o = policy.route(req({ excludeInstanceIds: ['a'] }), s);
    assert.ok(o.ok);
    assert.deepEqual([o.decision.decodeInstanceId, o.decision.numCachedTokens], ['b', 64]);
    const none = policy.route(req(), snapshot(instance('p', 'prefill')));
    assert.ok(!none.ok);
    assert.deepEqual([none.error.code, none.error.retryAfterS], ['unavailable', 3]);
  });
});
