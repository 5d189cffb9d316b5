import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Request } from './request.js';
import { FcfsRequestQueue, PriorityRequestQueue, type RequestQueue } from './request-queue.js';
import { SamplingParams } from './sampling-params.js';

let order = 0;
function req(id: string, priority = 0, arrivalTime = order): Request {
  const r = new Request({
    requestId: id,
    promptTokenIds: [1],
    samplingParams: SamplingParams.create(),
    maxTokens: 1,
    eosTokenIds: [],
    priority,
    arrivalTime,
  });
  r.arrivalOrder = order++;
  return r;
}
const drain = (q: RequestQueue) => {
  const out: string[] = [];
  for (let r = q.pop(); r !== undefined; r = q.pop()) out.push(r.requestId);
  return out;
};

/** Behaviour every RequestQueue must have, whatever its policy (all requests of equal priority). */
function conformance(name: string, make: () => RequestQueue): void {
  describe(`RequestQueue conformance: ${name}`, () => {
    test('empty queue', () => {
      const q = make();
      assert.equal(q.length, 0);
      assert.equal(q.peek(), undefined);
      assert.equal(q.pop(), undefined);
    });
    test('arrival order with equal priority; peek does not remove', () => {
      const q = make();
      for (const id of ['a', 'b', 'c']) q.add(req(id));
      assert.equal(q.peek()?.requestId, 'a');
      assert.equal(q.length, 3);
      assert.deepEqual(
        [...q].map((r) => r.requestId),
        ['a', 'b', 'c'],
      );
      assert.deepEqual(drain(q), ['a', 'b', 'c']);
    });
    test('a preempted (earlier) request prepended runs before later arrivals', () => {
      const q = make();
      const first = req('first');
      q.add(req('second'));
      q.add(req('third'));
      q.prepend(first);
      assert.deepEqual(drain(q), ['first', 'second', 'third']);
    });
    test('remove takes out exactly that request', () => {
      const q = make();
      const rs = ['a', 'b', 'c', 'd'].map((id) => req(id));
      for (const r of rs) q.add(r);
      assert.equal(q.remove(rs[1]), true);
      assert.equal(q.remove(rs[1]), false);
      assert.equal(q.length, 3);
      assert.deepEqual(drain(q), ['a', 'c', 'd']);
    });
  });
}

conformance('fcfs', () => new FcfsRequestQueue());
conformance('priority', () => new PriorityRequestQueue());

test('priority queue: lower priority value first, then earlier arrival, whatever the insertion order', () => {
  const q = new PriorityRequestQueue();
  const rs = [req('low-late', 5, 10), req('high', 0, 20), req('low-early', 5, 1), req('mid', 2, 0)];
  for (const r of [rs[0], rs[1], rs[2], rs[3]]) q.add(r);
  assert.deepEqual(
    [...q].map((r) => r.requestId),
    ['high', 'mid', 'low-early', 'low-late'],
  );
  q.remove(rs[3]);
  assert.deepEqual(drain(q), ['high', 'low-early', 'low-late']);
});

test('fcfs queue ignores priority', () => {
  const q = new FcfsRequestQueue();
  q.add(req('a', 9));
  q.add(req('b', 0));
  assert.deepEqual(drain(q), ['a', 'b']);
});
