import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RouteRequest, ServiceError } from '@pdserve/protocol';
import { AdmissionQueue } from './admission-queue.js';
import type { ClusterSnapshot } from './cluster-snapshot.js';
import { SloPolicy } from './slo-policy.js';
import { hashes, instance, snapshot } from './test-snapshots.js';

const policy = new SloPolicy({ costModel: { submitOverheadMs: 5 } });
const steps = [
  { batchSize: 1, stepMs: 22 },
  { batchSize: 5, stepMs: 30 },
];
/** A 'both' instance with `running` requests held to the default TPOT (100 ms, budget 90): step = 20 + 2 x batch. */
const cluster = (running: number, queuedPromptTokens = 0): ClusterSnapshot =>
  snapshot(
    instance('a', 'both', {
      load: {
        prefillTokensPerS: 1000,
        queuedPromptTokens,
        numRunning: running,
        numWithoutTpotSlo: running,
        decodeStepMs: steps,
      },
    }),
  );

function harness(maxHoldMs: number) {
  let current = cluster(36); // step at 37: 94 ms > 90: the batch is full
  const events: string[] = [];
  const queue = new AdmissionQueue((r) => policy.route(r, { ...current, nowMs: Date.now() }), maxHoldMs, {
    admitted: (r) => events.push(`admitted ${r.requestId}`),
    refused: (r) => events.push(`refused ${r.requestId}`),
  });
  const request = (id: string): RouteRequest => ({
    requestId: id,
    model: 'm',
    numPromptTokens: 32,
    blockHashes: hashes(2),
    maxTokens: 64,
    arrivalTimeMs: Date.now(),
  });
  return {
    queue,
    events,
    request,
    set: (s: ClusterSnapshot) => {
      current = s;
    },
  };
}

describe('AdmissionQueue', () => {
  it('holds a request the policy calls queueable, then admits it when a heartbeat shows capacity', async () => {
    const h = harness(10_000);
    const r = h.request('q1');
    const first = policy.route(r, { ...cluster(36), nowMs: r.arrivalTimeMs });
    assert.ok(!first.ok && first.queueable === true, 'queueable at first');
    const answer = h.queue.hold(r);
    h.queue.retry('m');
    assert.equal(h.queue.length, 1, 'still full: held');
    h.set(cluster(10));
    h.queue.retry('other-model');
    assert.equal(h.queue.length, 1, 'another model frees nothing here');
    h.queue.retry('m');
    const decision = await answer;
    assert.equal(decision.decodeInstanceId, 'a');
    assert.deepEqual(h.events, ['admitted q1']);
    assert.equal(h.queue.length, 0);
  });

  it('refuses a held request when its hold time is up without capacity', async () => {
    const h = harness(30);
    await assert.rejects(
      h.queue.hold(h.request('q2')),
      (e: unknown) => e instanceof ServiceError && e.code === 'overloaded' && e.retryAfterS === 1,
    );
    assert.deepEqual(h.events, ['refused q2']);
  });

  it('refuses at once when, on a retry, TTFT no longer holds (not queueable); close() refuses the rest', async () => {
    const h = harness(10_000);
    const jammed = h.queue.hold(h.request('q3'));
    const other = h.queue.hold(h.request('q4'));
    h.queue.retry('m');
    assert.equal(h.queue.length, 2, 'still queueable');
    h.set(cluster(36, 50_000)); // 50 s of prefill queued: TTFT is out of reach
    h.queue.retry('m');
    await assert.rejects(jammed, (e: unknown) => e instanceof ServiceError && e.code === 'overloaded');
    await assert.rejects(other, (e: unknown) => e instanceof ServiceError && e.code === 'overloaded');
    const last = h.queue.hold(h.request('q5'));
    h.queue.close(new ServiceError('unavailable', 'stopping'));
    await assert.rejects(last, (e: unknown) => e instanceof ServiceError && e.code === 'unavailable');
    assert.deepEqual(h.events, ['refused q3', 'refused q4']);
  });
});
