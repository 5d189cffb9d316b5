import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineCore } from './engine-core.js';
import { RequestTooLargeError } from './errors.js';
import { FakeModelExecutor } from './fake-model-executor.js';
import type { SchedulingPolicy } from './request-queue.js';
import { SamplingParams } from './sampling-params.js';
import { makePrompt, referenceGreedy } from './test-support.js';
import { Xoshiro128 } from './xoshiro128.js';

const VOCAB = 64;
const NUM_BLOCKS = 40;

interface Added {
  prompt: number[];
  maxTokens: number;
  n: number;
}

/** Every block's ref count equals the number of live requests whose block table holds it. */
function checkRefCounts(core: EngineCore): void {
  const kv = core.kvCacheManager;
  const holders = new Array(NUM_BLOCKS).fill(0);
  for (const id of core.scheduler.requests.keys()) for (const b of kv.getBlockIds(id)) holders[b]++;
  kv.blockPool.blocks.forEach((b, i) => {
    assert.equal(b.refCnt, holders[i], `block ${i}`);
  });
  assert.equal(kv.numFreeBlocks, holders.filter((h) => h === 0).length);
}

function randomRequest(rng: Xoshiro128, prefixes: number[][], i: number): Added {
  const int = (lo: number, hi: number) => lo + (rng.nextUint32() % (hi - lo + 1));
  const tail = makePrompt(1000 + i, int(1, 40), VOCAB);
  const prefix = rng.nextFloat() < 0.5 ? prefixes[int(0, prefixes.length - 1)] : [];
  const huge = rng.nextFloat() < 0.03;
  return {
    prompt: huge ? makePrompt(i, 120, VOCAB) : [...prefix, ...tail],
    maxTokens: int(1, 24),
    n: rng.nextFloat() < 0.15 ? int(2, 3) : 1,
  };
}

async function simulate(seed: number, policy: SchedulingPolicy): Promise<void> {
  const rng = Xoshiro128.fromSeed(seed);
  const fake = new FakeModelExecutor({ vocabSize: VOCAB, blockSize: 4, numBlocks: NUM_BLOCKS });
  const core = new EngineCore(fake, {
    maxModelLen: 128,
    maxNumBatchedTokens: 24,
    maxNumSeqs: 6,
    policy,
    hashSeed: 'property',
    eosTokenIds: [],
  });
  const prefixes = [makePrompt(seed * 7, 12, VOCAB), makePrompt(seed * 7 + 1, 8, VOCAB)];
  const added = new Map<string, Added>();
  const aborted = new Set<string>();
  const tokens = new Map<string, number[]>();
  const finished = new Map<string, string>();
  let rejected = 0;
  for (let step = 0; step < 3000 && (step < 250 || core.hasUnfinishedRequests()); step++) {
    if (step < 250 && rng.nextFloat() < 0.4) {
      const r = randomRequest(rng, prefixes, step);
      const id = `q${step}`;
      const samplingParams = SamplingParams.create({ temperature: 0, maxTokens: r.maxTokens, n: r.n });
      try {
        core.addRequest({
          requestId: id,
          promptTokenIds: r.prompt,
          samplingParams,
          priority: rng.nextUint32() % 4,
        });
        added.set(id, r);
      } catch (e) {
        assert.ok(e instanceof RequestTooLargeError, String(e));
        rejected++;
      }
    }
    const live = [...added.keys()].filter((id) => !aborted.has(id) && !finished.has(id));
    if (live.length > 0 && rng.nextFloat() < 0.05) {
      const victim = live[rng.nextUint32() % live.length];
      core.abortRequests([victim]);
      aborted.add(victim);
    }
    const { outputs } = await core.step();
    for (const o of outputs) {
      tokens.set(o.requestId, [...(tokens.get(o.requestId) ?? []), ...o.newTokenIds]);
      if (o.finishReason !== null) finished.set(o.requestId, o.finishReason);
    }
    checkRefCounts(core);
  }
  assert.equal(core.hasUnfinishedRequests(), false, 'requests left unfinished');
  const kv = core.kvCacheManager;
  assert.equal(kv.numFreeBlocks, NUM_BLOCKS);
  assert.ok(kv.blockPool.blocks.every((b) => b.refCnt === 0));
  assert.equal(kv.numRequestsHoldingBlocks, 0);
  assert.ok(rejected > 0 || added.size > 50);
  let completed = 0;
  for (const [id, r] of added) {
    if (aborted.has(id)) continue;
    const expected = referenceGreedy(fake, r.prompt, r.maxTokens);
    for (let i = 0; i < r.n; i++) {
      const seqId = i === 0 ? id : `${id}#${i}`;
      assert.equal(finished.get(seqId), 'length', `${seqId} not finished`);
      assert.deepEqual(tokens.get(seqId), expected, `${seqId} output`);
      completed++;
    }
  }
  assert.ok(completed > 30, `only ${completed} sequences completed`);
  assert.ok(core.stats.numPreemptions > 0, 'memory was not tight enough to preempt');
}

for (const [seed, policy] of [
  [1, 'fcfs'],
  [2, 'priority'],
  [3, 'fcfs'],
  [4, 'priority'],
] as const) {
  test(`property (seed ${seed}, ${policy}): no leaked blocks, no lost request, outputs exact under churn`, async () => {
    await simulate(seed, policy);
  });
}
