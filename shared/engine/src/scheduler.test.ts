import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SampleResult } from './engine-core-output.js';
import { RequestTooLargeError } from './errors.js';
import { KvCacheManager } from './kv-cache-manager.js';
import { Request } from './request.js';
import type { SchedulingPolicy } from './request-queue.js';
import { RequestStatus } from './request-status.js';
import { SamplingParams } from './sampling-params.js';
import { Scheduler } from './scheduler.js';
import type { SchedulerOutput } from './scheduler-output.js';

const BS = 4;
interface Setup {
  budget?: number;
  maxNumSeqs?: number;
  numBlocks?: number;
  maxModelLen?: number;
  policy?: SchedulingPolicy;
  chunked?: boolean;
}
function setup(o: Setup = {}): Scheduler {
  const kv = new KvCacheManager({
    numBlocks: o.numBlocks ?? 64,
    blockSize: BS,
    hashSeed: 's',
    enablePrefixCaching: false,
  });
  return new Scheduler(
    {
      maxNumBatchedTokens: o.budget ?? 64,
      maxNumSeqs: o.maxNumSeqs ?? 16,
      maxModelLen: o.maxModelLen ?? 256,
      policy: o.policy,
      enableChunkedPrefill: o.chunked,
    },
    kv,
  );
}
function req(id: string, promptLen: number, maxTokens = 4, priority = 0, arrivalTime?: number): Request {
  return new Request({
    requestId: id,
    promptTokenIds: Array.from({ length: promptLen }, (_, i) => 1 + i),
    samplingParams: SamplingParams.create({ maxTokens }),
    maxTokens,
    eosTokenIds: [],
    priority,
    arrivalTime,
  });
}
/** Pretends the step ran: every request that reached its last token samples token 7. */
function complete(s: Scheduler, out: SchedulerOutput) {
  const results = new Map<string, SampleResult>();
  for (const { request } of out.scheduledRequests) {
    if (request.numComputedTokens === request.numTokens) {
      results.set(request.requestId, { tokenId: 7, logprobs: null, promptLogprobs: null });
    }
  }
  return s.updateFromOutput(out, results);
}
const plan = (out: SchedulerOutput) =>
  out.scheduledRequests.map((r) => [r.request.requestId, r.numScheduledTokens]);

test('a long prompt is chunked to the token budget and samples only after its last chunk', () => {
  const s = setup({ budget: 10 });
  s.addRequest(req('a', 25));
  const chunks: number[] = [];
  const starts: number[] = [];
  let outputs = 0;
  for (let i = 0; i < 3; i++) {
    const out = s.schedule();
    assert.ok(out.totalNumScheduledTokens <= 10);
    chunks.push(out.scheduledRequests[0].numScheduledTokens);
    starts.push(out.scheduledRequests[0].numComputedTokens);
    outputs += complete(s, out).length;
    if (i < 2) assert.equal(outputs, 0);
  }
  assert.deepEqual(chunks, [10, 10, 5]);
  assert.deepEqual(starts, [0, 10, 20]);
  assert.equal(outputs, 1);
  assert.deepEqual(plan(s.schedule()), [['a', 1]]);
});

test('running requests are scheduled first; waiting ones get the rest of the budget', () => {
  const s = setup({ budget: 8 });
  s.addRequest(req('a', 3));
  complete(s, s.schedule());
  s.addRequest(req('b', 20));
  const out = s.schedule();
  assert.deepEqual(plan(out), [
    ['a', 1],
    ['b', 7],
  ]);
  assert.equal(out.totalNumScheduledTokens, 8);
  assert.deepEqual(
    out.scheduledRequests.map((r) => r.isNew),
    [false, true],
  );
});

test('the budget is never exceeded with many requests', () => {
  const s = setup({ budget: 16 });
  for (let i = 0; i < 6; i++) s.addRequest(req(`r${i}`, 5 + i, 6));
  for (let step = 0; step < 40 && s.hasUnfinishedRequests(); step++) {
    const out = s.schedule();
    const sum = out.scheduledRequests.reduce((a, r) => a + r.numScheduledTokens, 0);
    assert.equal(sum, out.totalNumScheduledTokens);
    assert.ok(sum <= 16);
    complete(s, out);
  }
  assert.equal(s.hasUnfinishedRequests(), false);
});

test('maxNumSeqs caps the running set', () => {
  const s = setup({ maxNumSeqs: 2 });
  for (const id of ['a', 'b', 'c']) s.addRequest(req(id, 2, 1));
  const out = s.schedule();
  assert.deepEqual(
    plan(out).map((p) => p[0]),
    ['a', 'b'],
  );
  assert.equal(s.waiting.length, 1);
  complete(s, out); // both finish (max_tokens 1)
  assert.deepEqual(
    plan(s.schedule()).map((p) => p[0]),
    ['c'],
  );
});

test('out of blocks: the latest arrival is preempted, freed, requeued first, and recomputed', () => {
  // 4 blocks of 4: a and b (prompt 8 each) take 2 blocks each; their 9th token needs a 5th block.
  const s = setup({ numBlocks: 4 });
  s.addRequest(req('a', 8, 4));
  s.addRequest(req('b', 8, 4));
  s.addRequest(req('c', 2, 1));
  const first = s.schedule();
  assert.deepEqual(
    plan(first).map((p) => p[0]),
    ['a', 'b'],
  );
  complete(s, first); // both at 9 tokens
  const b = s.requests.get('b')!;
  const out = s.schedule();
  assert.deepEqual(out.preemptedRequestIds, ['b']);
  assert.deepEqual(plan(out), [['a', 1]]);
  assert.equal(b.status, RequestStatus.PREEMPTED);
  assert.equal(b.numComputedTokens, 0);
  assert.equal(b.numPreemptions, 1);
  assert.deepEqual(s.kvCacheManager.getBlockIds('b'), []);
  // b is at the front of waiting (before c), and no waiting request was admitted this step.
  assert.deepEqual(
    [...s.waiting].map((r) => r.requestId),
    ['b', 'c'],
  );
  assert.equal(s.makeStats().numPreemptions, 1);
  complete(s, out);
  // Run on: a finishes, then b recomputes its prompt and its output token in one chunk.
  const seen: [string, number, number][] = [];
  while (s.hasUnfinishedRequests()) {
    const o = s.schedule();
    for (const r of o.scheduledRequests)
      seen.push([r.request.requestId, r.numComputedTokens, r.numScheduledTokens]);
    complete(s, o);
  }
  assert.ok(seen.some(([id, start, n]) => id === 'b' && start === 0 && n === 9));
  assert.equal(b.numOutputTokens, 4);
  assert.equal(s.kvCacheManager.numFreeBlocks, 4);
});

test('priority policy: admits by priority and preempts the lowest priority, not the latest arrival', () => {
  const s = setup({ numBlocks: 4, policy: 'priority' });
  s.addRequest(req('low', 8, 4, 5, 0));
  s.addRequest(req('high', 8, 4, 0, 1));
  const first = s.schedule();
  assert.deepEqual(
    plan(first).map((p) => p[0]),
    ['high', 'low'],
  );
  complete(s, first);
  const out = s.schedule();
  assert.deepEqual(out.preemptedRequestIds, ['low']);
  assert.deepEqual(plan(out), [['high', 1]]);
});

test('priority policy: a victim already scheduled this step gives its budget back', () => {
  const s = setup({ numBlocks: 4, policy: 'priority' });
  s.addRequest(req('low', 4, 4, 5, 0));
  complete(s, s.schedule()); // low: 5 tokens, 1 block
  s.addRequest(req('high', 8, 4, 0, 1));
  complete(s, s.schedule()); // low takes a 2nd block, high 2: the pool is full
  assert.deepEqual(
    s.running.map((r) => r.requestId),
    ['low', 'high'],
  );
  // low (first in running) is scheduled, then high needs a block and low is the victim.
  const out = s.schedule();
  assert.deepEqual(out.preemptedRequestIds, ['low']);
  assert.deepEqual(plan(out), [['high', 1]]);
  assert.equal(out.totalNumScheduledTokens, 1);
  assert.equal(s.requests.get('low')!.numComputedTokens, 0);
});

test('requests that can never fit are rejected at add time with a named error', () => {
  const s = setup({ numBlocks: 4, maxModelLen: 64 });
  assert.throws(
    () => s.addRequest(req('long', 60, 8)),
    (e: unknown) =>
      e instanceof RequestTooLargeError && e.reason === 'maxModelLen' && e.needed === 68 && e.limit === 64,
  );
  // 17 tokens in cache need 5 blocks of 4; the pool has 4.
  assert.throws(
    () => s.addRequest(req('big', 10, 8)),
    (e: unknown) => e instanceof RequestTooLargeError && e.reason === 'kvCacheCapacity' && e.needed === 5,
  );
  s.addRequest(req('fits', 9, 8)); // 16 tokens in cache: exactly 4 blocks
  assert.equal(s.waiting.length, 1);
  const noChunk = setup({ budget: 8, chunked: false });
  assert.throws(() => noChunk.addRequest(req('x', 9, 1)), RequestTooLargeError);
});

test('a request that fits alone always completes, even in a pool too small for two', () => {
  const s = setup({ numBlocks: 4, budget: 6 });
  s.addRequest(req('a', 9, 8));
  s.addRequest(req('b', 9, 8));
  let steps = 0;
  while (s.hasUnfinishedRequests() && steps++ < 200) complete(s, s.schedule());
  assert.equal(s.hasUnfinishedRequests(), false);
  assert.equal(s.kvCacheManager.numFreeBlocks, 4);
});

test('finishRequests frees blocks at once and drops the in-flight result', () => {
  const s = setup();
  s.addRequest(req('a', 6));
  s.addRequest(req('b', 6));
  const out = s.schedule();
  s.finishRequests(['a'], RequestStatus.FINISHED_ABORTED);
  assert.deepEqual(s.kvCacheManager.getBlockIds('a'), []);
  const outputs = complete(s, out);
  assert.deepEqual(
    outputs.map((o) => o.requestId),
    ['b'],
  );
  assert.deepEqual(s.schedule().finishedRequestIds, ['a']);
  // Aborting a waiting request removes it from the queue.
  s.addRequest(req('c', 3));
  s.finishRequests(['c'], RequestStatus.FINISHED_ABORTED);
  assert.equal(s.waiting.length, 0);
});

test('token-level stops: EOS and stop ids after min_tokens, max_tokens', () => {
  const s = setup();
  const r = new Request({
    requestId: 'r',
    promptTokenIds: [1, 2],
    samplingParams: SamplingParams.create({ maxTokens: 5, minTokens: 2, stopTokenIds: [9] }),
    maxTokens: 5,
    eosTokenIds: [7],
  });
  s.addRequest(r);
  complete(s, s.schedule()); // token 7 = EOS, but min_tokens 2 -> continue
  assert.equal(r.isFinished, false);
  const out = complete(s, s.schedule()); // second EOS: stop
  assert.equal(out[0].finishReason, 'stop');
  assert.equal(out[0].stopReason, null);
  assert.equal(r.status, RequestStatus.FINISHED_STOPPED);
});

test('requests waiting for remote KV are skipped without losing their place', () => {
  const s = setup();
  const remote = req('remote', 4);
  s.addRequest(remote);
  remote.status = RequestStatus.WAITING_FOR_REMOTE_KVS;
  s.addRequest(req('local', 4));
  const first = s.schedule();
  assert.deepEqual(
    plan(first).map((p) => p[0]),
    ['local'],
  );
  complete(s, first);
  assert.deepEqual(
    [...s.waiting].map((r) => r.requestId),
    ['remote'],
  );
  remote.status = RequestStatus.WAITING;
  assert.deepEqual(
    plan(s.schedule()).map((p) => p[0]),
    ['local', 'remote'],
  );
});
