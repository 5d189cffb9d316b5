import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineCore, type EngineCoreConfig } from './engine-core.js';
import { ExecutorError, RequestTooLargeError } from './errors.js';
import { FakeModelExecutor, type FakeModelExecutorOptions } from './fake-model-executor.js';
import type { ModelInput } from './model-executor.js';
import { RequestStatus } from './request-status.js';
import { SamplingParams, type SamplingParamsInit } from './sampling-params.js';
import { makePrompt, referenceGreedy, runCore } from './test-support.js';

const VOCAB = 64;
function setup(fakeOpts: FakeModelExecutorOptions = {}, config: Partial<EngineCoreConfig> = {}) {
  const fake = new FakeModelExecutor({ vocabSize: VOCAB, blockSize: 4, numBlocks: 256, ...fakeOpts });
  const core = new EngineCore(fake, {
    maxModelLen: 1024,
    hashSeed: 'fake-model',
    eosTokenIds: [],
    ...config,
  });
  return { fake, core };
}
const params = (p: SamplingParamsInit) => SamplingParams.create({ temperature: 0, ...p });
const PROMPTS = [3, 17, 40, 64, 5, 33, 1, 26].map((len, i) => makePrompt(100 + i, len, VOCAB));
const MAX_TOKENS = [5, 12, 3, 8, 20, 1, 9, 6];

/** Runs every prompt in one batch; returns each request's tokens. */
async function runBatch(
  fakeOpts: FakeModelExecutorOptions,
  config: Partial<EngineCoreConfig>,
  p: SamplingParamsInit = {},
) {
  const { fake, core } = setup(fakeOpts, config);
  PROMPTS.forEach((prompt, i) => {
    core.addRequest({
      requestId: `r${i}`,
      promptTokenIds: prompt,
      samplingParams: params({ maxTokens: MAX_TOKENS[i], ...p }),
    });
  });
  const result = await runCore(core);
  return { fake, core, result, tokens: PROMPTS.map((_, i) => result.tokens.get(`r${i}`)) };
}

test('greedy: each request of a mixed batch produces exactly its output run alone (and the reference)', async () => {
  const { fake, tokens, core } = await runBatch({}, {});
  for (let i = 0; i < PROMPTS.length; i++) {
    const alone = setup();
    alone.core.addRequest({
      requestId: 'x',
      promptTokenIds: PROMPTS[i],
      samplingParams: params({ maxTokens: MAX_TOKENS[i] }),
    });
    const solo = (await runCore(alone.core)).tokens.get('x');
    assert.deepEqual(tokens[i], solo, `request ${i}`);
    assert.deepEqual(tokens[i], referenceGreedy(fake, PROMPTS[i], MAX_TOKENS[i]), `request ${i}`);
  }
  assert.equal(core.kvCacheManager.numFreeBlocks, 256);
});

test('a tiny token budget chunks prefills and still gives the same outputs', async () => {
  const { fake, tokens, result } = await runBatch({}, { maxNumBatchedTokens: 7, enablePrefixCaching: false });
  PROMPTS.forEach((prompt, i) => {
    assert.deepEqual(tokens[i], referenceGreedy(fake, prompt, MAX_TOKENS[i]));
  });
  // Every token is computed exactly once: prompt + outputs - 1 per request.
  const expected = PROMPTS.reduce((a, p, i) => a + p.length + MAX_TOKENS[i] - 1, 0);
  assert.equal(fake.stats.tokensComputed, expected);
  assert.ok(result.steps >= Math.ceil(expected / 7));
});

test('prefix cache: a request sharing a 3-block prefix computes only the rest and matches the uncached run', async () => {
  const { fake, core } = setup({ blockSize: 16, numBlocks: 64 });
  const prefix = makePrompt(7, 48, VOCAB);
  const first = [...prefix, ...makePrompt(8, 5, VOCAB)];
  const second = [...prefix, ...makePrompt(9, 11, VOCAB)];
  core.addRequest({ requestId: 'a', promptTokenIds: first, samplingParams: params({ maxTokens: 4 }) });
  await runCore(core);
  const before = fake.stats.tokensComputed;
  const b = core.addRequest({
    requestId: 'b',
    promptTokenIds: second,
    samplingParams: params({ maxTokens: 6 }),
  });
  const result = await runCore(core);
  assert.equal(b.numCachedTokens, 48);
  assert.equal(result.finish.get('b')?.numCachedTokens, 48);
  assert.equal(fake.stats.tokensComputed - before, 11 + 6 - 1);
  assert.deepEqual(result.tokens.get('b'), referenceGreedy(fake, second, 6));
  const uncached = setup({ blockSize: 16, numBlocks: 64 }, { enablePrefixCaching: false });
  uncached.core.addRequest({
    requestId: 'b',
    promptTokenIds: second,
    samplingParams: params({ maxTokens: 6 }),
  });
  assert.deepEqual((await runCore(uncached.core)).tokens.get('b'), result.tokens.get('b'));
  const stats = core.stats.prefixCacheStats;
  assert.deepEqual(stats, { requests: 2, queries: first.length + second.length, hits: 48 });
});

test('prefix hits on blocks registered earlier in the same step are correct', async () => {
  const { fake, core } = setup({ blockSize: 4 });
  const shared = makePrompt(11, 12, VOCAB);
  core.addRequest({
    requestId: 'a',
    promptTokenIds: [...shared, 1],
    samplingParams: params({ maxTokens: 3 }),
  });
  const b = core.addRequest({
    requestId: 'b',
    promptTokenIds: [...shared, 2, 3],
    samplingParams: params({ maxTokens: 3 }),
  });
  const result = await runCore(core);
  assert.equal(b.numCachedTokens, 12);
  assert.deepEqual(result.tokens.get('b'), referenceGreedy(fake, [...shared, 2, 3], 3));
});

test('a tiny pool forces preemption by recompute; outputs are unchanged', async () => {
  const { fake, core, tokens } = await runBatch({ numBlocks: 24 }, { maxNumBatchedTokens: 32 });
  assert.ok(core.stats.numPreemptions > 0, 'expected preemptions');
  PROMPTS.forEach((prompt, i) => {
    assert.deepEqual(tokens[i], referenceGreedy(fake, prompt, MAX_TOKENS[i]));
  });
  assert.equal(core.kvCacheManager.numFreeBlocks, 24);
  assert.ok(core.kvCacheManager.blockPool.blocks.every((b) => b.refCnt === 0));
});

test('seeded sampling gives the same tokens alone and in a batch', async () => {
  const seeded = { temperature: 1, topP: 0.9, topK: 20, seed: 1234, repetitionPenalty: 1.2 };
  const batch = await runBatch({ numBlocks: 40 }, { maxNumBatchedTokens: 9 }, seeded);
  for (const i of [1, 3, 4]) {
    const alone = setup();
    alone.core.addRequest({
      requestId: 'x',
      promptTokenIds: PROMPTS[i],
      samplingParams: params({ ...seeded, maxTokens: MAX_TOKENS[i] }),
    });
    assert.deepEqual(batch.tokens[i], (await runCore(alone.core)).tokens.get('x'), `request ${i}`);
  }
  assert.notDeepEqual(batch.tokens[4], referenceGreedy(batch.fake, PROMPTS[4], MAX_TOKENS[4]));
});

test('n > 1 forks siblings that share the prompt blocks; sibling i equals a single request with seed + i', async () => {
  const { core } = setup();
  const prompt = makePrompt(5, 10, VOCAB);
  core.addRequest({
    requestId: 'multi',
    promptTokenIds: prompt,
    samplingParams: params({ n: 3, temperature: 1, seed: 77, maxTokens: 6 }),
  });
  await core.step();
  const blocks = core.kvCacheManager.getBlockIds('multi');
  assert.deepEqual(core.kvCacheManager.getBlockIds('multi#1').slice(0, 2), blocks.slice(0, 2));
  assert.equal(core.kvCacheManager.blockPool.blocks[blocks[0]].refCnt, 3);
  assert.equal(core.kvCacheManager.blockPool.blocks[blocks[2]].refCnt, 1);
  const result = await runCore(core);
  for (let i = 0; i < 3; i++) {
    const single = setup();
    single.core.addRequest({
      requestId: 's',
      promptTokenIds: prompt,
      samplingParams: params({ temperature: 1, seed: 77 + i, maxTokens: 6 }),
    });
    const id = i === 0 ? 'multi' : `multi#${i}`;
    // The fork's first token comes from step 1's logits, the rest from runCore.
    const all = (await runCore(single.core)).tokens.get('s');
    assert.deepEqual(result.tokens.get(id), all?.slice(1), `sibling ${i}`);
  }
  assert.equal(core.kvCacheManager.numFreeBlocks, 256);
});

test('abort frees blocks at once, even while its step is in flight, and drops its result', async () => {
  const { core } = setup({ numBlocks: 32 });
  core.addRequest({
    requestId: 'a',
    promptTokenIds: makePrompt(1, 20, VOCAB),
    samplingParams: params({ maxTokens: 50 }),
  });
  core.addRequest({
    requestId: 'b',
    promptTokenIds: makePrompt(2, 6, VOCAB),
    samplingParams: params({ maxTokens: 50 }),
  });
  await core.step();
  const pending = core.step();
  core.abortRequests(['a']);
  assert.deepEqual(core.kvCacheManager.getBlockIds('a'), []);
  assert.equal(core.kvCacheManager.numFreeBlocks, 32 - 2);
  const { outputs } = await pending;
  assert.deepEqual(
    outputs.map((o) => o.requestId),
    ['b'],
  );
  core.abortRequests(['b', 'unknown']);
  assert.equal(core.hasUnfinishedRequests(), false);
  assert.equal(core.kvCacheManager.numFreeBlocks, 32);
});

test('EOS and stop ids finish requests with the right reason', async () => {
  const probe = setup();
  const prompt = makePrompt(3, 9, VOCAB);
  const ref = referenceGreedy(probe.fake, prompt, 10);
  const eos = ref[3];
  const { core } = setup({}, { eosTokenIds: [eos] });
  core.addRequest({ requestId: 'e', promptTokenIds: prompt, samplingParams: params({ maxTokens: 10 }) });
  core.addRequest({
    requestId: 's',
    promptTokenIds: prompt,
    samplingParams: params({ maxTokens: 10, ignoreEos: true, stopTokenIds: [ref[5]] }),
  });
  core.addRequest({ requestId: 'l', promptTokenIds: prompt, samplingParams: params({ maxTokens: 2 }) });
  const result = await runCore(core);
  const cut = ref.indexOf(eos) + 1;
  assert.deepEqual(result.tokens.get('e'), ref.slice(0, cut));
  assert.equal(result.finish.get('e')?.finishReason, 'stop');
  assert.equal(result.finish.get('s')?.stopReason, ref[5]);
  assert.deepEqual(result.tokens.get('s'), ref.slice(0, ref.indexOf(ref[5]) + 1));
  assert.equal(result.finish.get('l')?.finishReason, 'length');
});

test('addRequest rejects requests that can never fit and bad token ids', () => {
  const { core } = setup({ numBlocks: 8 }, { maxModelLen: 64 });
  assert.throws(
    () =>
      core.addRequest({
        requestId: 'x',
        promptTokenIds: makePrompt(1, 60, VOCAB),
        samplingParams: params({ maxTokens: 10 }),
      }),
    RequestTooLargeError,
  );
  assert.throws(
    () =>
      core.addRequest({
        requestId: 'y',
        promptTokenIds: makePrompt(1, 30, VOCAB),
        samplingParams: params({ maxTokens: 10 }),
      }),
    (e: unknown) => e instanceof RequestTooLargeError && e.reason === 'kvCacheCapacity',
  );
  // max_tokens unset (null): fills the rest of maxModelLen; 70 > 64 cannot.
  assert.throws(
    () =>
      core.addRequest({
        requestId: 'z',
        promptTokenIds: makePrompt(1, 70, VOCAB),
        samplingParams: params({ maxTokens: null }),
      }),
    RequestTooLargeError,
  );
  assert.throws(
    () => core.addRequest({ requestId: 'v', promptTokenIds: [VOCAB], samplingParams: params({}) }),
    /outside the vocabulary/,
  );
  assert.equal(core.hasUnfinishedRequests(), false);
});

test('an executor failure aborts that step requests, drops what the step cached, and the engine goes on', async () => {
  const { fake, core } = setup({}, { enableKvCacheEvents: true });
  const realExecute = fake.execute.bind(fake);
  let fail = true;
  fake.execute = async (input: ModelInput) => {
    if (fail) {
      fail = false;
      throw new Error('device lost');
    }
    return realExecute(input);
  };
  const prompt = makePrompt(4, 16, VOCAB);
  core.addRequest({ requestId: 'a', promptTokenIds: prompt, samplingParams: params({ maxTokens: 3 }) });
  await assert.rejects(
    core.step(),
    (e: unknown) => e instanceof ExecutorError && e.requestIds.includes('a') && e.cause instanceof Error,
  );
  assert.equal(core.kvCacheManager.numFreeBlocks, 256);
  const b = core.addRequest({
    requestId: 'b',
    promptTokenIds: prompt,
    samplingParams: params({ maxTokens: 3 }),
  });
  const result = await runCore(core);
  assert.equal(b.numCachedTokens, 0);
  assert.equal(b.status, RequestStatus.FINISHED_LENGTH_CAPPED);
  assert.deepEqual(result.tokens.get('b'), referenceGreedy(fake, prompt, 3));
});

test('KV events report stored prompt blocks with increasing sequence numbers', async () => {
  const { core } = setup({}, { enableKvCacheEvents: true });
  const prompt = makePrompt(6, 9, VOCAB);
  core.addRequest({ requestId: 'a', promptTokenIds: prompt, samplingParams: params({ maxTokens: 1 }) });
  await runCore(core);
  const events = core.takeKvEvents();
  assert.equal(events[0].type, 'BlockStored');
  if (events[0].type === 'BlockStored') {
    assert.deepEqual(events[0].blockHashes, core.kvCacheManager.hasher.hashPrompt(prompt));
    assert.deepEqual(events[0].tokenIds, prompt.slice(0, 8));
  }
  events.forEach((e, i) => {
    assert.equal(e.seq, i);
  });
});

test('a request resumed from its decode state on another engine continues exactly (seeded)', async () => {
  const prompt = makePrompt(31, 13, VOCAB);
  const p = params({ temperature: 1, topK: 30, seed: 99, frequencyPenalty: 0.5, maxTokens: 8 });
  const whole = setup();
  whole.core.addRequest({ requestId: 'r', promptTokenIds: prompt, samplingParams: p });
  const expected = (await runCore(whole.core)).tokens.get('r')!;
  const first = setup();
  const req = first.core.addRequest({ requestId: 'r', promptTokenIds: prompt, samplingParams: p });
  while (req.numOutputTokens < 3) await first.core.step();
  const state = JSON.parse(JSON.stringify(req.toDecodeState()));
  first.core.abortRequests(['r']);
  const second = setup();
  second.core.addRequest({ requestId: 'r', promptTokenIds: prompt, samplingParams: p, decodeState: state });
  const rest = (await runCore(second.core)).tokens.get('r');
  assert.deepEqual([...state.outputTokenIds, ...(rest ?? [])], expected);
  assert.throws(
    () =>
      second.core.addRequest({
        requestId: 'full',
        promptTokenIds: prompt,
        samplingParams: p,
        decodeState: { ...state, outputTokenIds: expected },
      }),
    /max_tokens/,
  );
});

test('a request aborted during a failing step leaves no suspect blocks in the prefix cache', async () => {
  const { fake, core } = setup();
  const real = fake.execute.bind(fake);
  const prompt = makePrompt(8, 16, VOCAB);
  fake.execute = async () => {
    core.abortRequests(['a']);
    throw new Error('device lost');
  };
  core.addRequest({ requestId: 'a', promptTokenIds: prompt, samplingParams: params({ maxTokens: 3 }) });
  await assert.rejects(core.step(), ExecutorError);
  fake.execute = real;
  const b = core.addRequest({
    requestId: 'b',
    promptTokenIds: prompt,
    samplingParams: params({ maxTokens: 3 }),
  });
  const result = await runCore(core);
  assert.equal(b.numCachedTokens, 0);
  assert.deepEqual(result.tokens.get('b'), referenceGreedy(fake, prompt, 3));
});
