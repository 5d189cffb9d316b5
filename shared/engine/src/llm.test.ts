import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExecutorError, InvalidSamplingParamsError, RequestTooLargeError } from './errors.js';
import { FakeModelExecutor } from './fake-model-executor.js';
import { LLM, type LlmOptions } from './llm.js';
import type { ModelInput } from './model-executor.js';
import type { RequestOutput } from './request-output.js';
import { makePrompt, referenceGreedy } from './test-support.js';

const VOCAB = 64;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .';
const tokenizer = {
  decode: (ids: number[]) => ids.map((i) => ALPHABET[i]).join(''),
  encode: (text: string) => [...text].map((c) => ALPHABET.indexOf(c)),
};
function setup(options: Partial<LlmOptions> = {}, fakeDelayMs = 0) {
  const fake = new FakeModelExecutor({
    vocabSize: VOCAB,
    blockSize: 4,
    numBlocks: 128,
    delayMs: fakeDelayMs,
  });
  const llm = new LLM(fake, { maxModelLen: 256, tokenizer, ...options });
  return { fake, llm };
}
const P1 = makePrompt(21, 9, VOCAB);
const P2 = makePrompt(22, 30, VOCAB);

test('generate returns final outputs in prompt order with tokens and text', async () => {
  const { fake, llm } = setup();
  const outs = await llm.generate([P1, P2], { temperature: 0, maxTokens: 7 });
  assert.equal(outs.length, 2);
  outs.forEach((o, i) => {
    const expected = referenceGreedy(fake, [P1, P2][i], 7);
    assert.equal(o.finished, true);
    assert.deepEqual(o.outputs[0].tokenIds, expected);
    assert.equal(o.outputs[0].text, tokenizer.decode(expected));
    assert.equal(o.outputs[0].finishReason, 'length');
  });
  assert.equal(llm.engineCore.hasUnfinishedRequests(), false);
  assert.deepEqual(await llm.generate([]), []);
});

test('a stop string ends the sequence, cuts the text, and frees its blocks', async () => {
  const { fake, llm } = setup();
  const expected = tokenizer.decode(referenceGreedy(fake, P2, 20));
  const stop = expected.slice(5, 7);
  const cut = expected.indexOf(stop);
  const [out] = await llm.generate(P2, { temperature: 0, maxTokens: 20, stop: [stop] });
  assert.equal(out.outputs[0].text, expected.slice(0, cut));
  assert.equal(out.outputs[0].finishReason, 'stop');
  assert.equal(out.outputs[0].stopReason, stop);
  const [kept] = await llm.generate(P2, {
    temperature: 0,
    maxTokens: 20,
    stop: [stop],
    includeStopStrInOutput: true,
  });
  assert.equal(kept.outputs[0].text, expected.slice(0, cut + stop.length));
  assert.equal(llm.engineCore.kvCacheManager.numFreeBlocks, 128);
});

test('stream yields deltas that add up to the generate output', async () => {
  const { llm } = setup();
  const [full] = await llm.generate(P1, { temperature: 0, maxTokens: 12, stop: ['zz'] });
  let text = '';
  const tokens: number[] = [];
  let last: RequestOutput | null = null;
  for await (const delta of llm.stream(P1, { temperature: 0, maxTokens: 12, stop: ['zz'] })) {
    text += delta.outputs[0].text;
    tokens.push(...delta.outputs[0].tokenIds);
    last = delta;
  }
  assert.equal(text, full.outputs[0].text);
  assert.deepEqual(tokens, full.outputs[0].tokenIds);
  assert.equal(last?.finished, true);
});

test('breaking out of a stream aborts the request and frees its blocks', async () => {
  const { llm } = setup();
  let n = 0;
  for await (const _ of llm.stream(P2, { temperature: 0, maxTokens: 100 })) {
    if (++n === 3) break;
  }
  assert.equal(llm.engineCore.hasUnfinishedRequests(), false);
  assert.equal(llm.engineCore.kvCacheManager.numFreeBlocks, 128);
});

test('output processing of step k runs while step k+1 computes', async () => {
  const busy: boolean[] = [];
  const fake = new FakeModelExecutor({ vocabSize: VOCAB, blockSize: 4, numBlocks: 128, delayMs: 1 });
  const spy = {
    decode: (ids: number[]) => {
      busy.push(fake.busy);
      return tokenizer.decode(ids);
    },
  };
  const llm = new LLM(fake, { maxModelLen: 256, tokenizer: spy });
  await llm.generate([P1, P2], { temperature: 0, maxTokens: 10 });
  assert.ok(busy.length > 0);
  assert.ok(
    busy.filter((b) => b).length >= busy.length / 2,
    `overlapped ${busy.filter((b) => b).length} of ${busy.length}`,
  );
});

test('n > 1 returns n sequences; greedy siblings agree with the single run', async () => {
  const { fake, llm } = setup();
  const [out] = await llm.generate(P1, { temperature: 0, maxTokens: 5, n: 3 });
  assert.deepEqual(
    out.outputs.map((o) => o.index),
    [0, 1, 2],
  );
  const expected = referenceGreedy(fake, P1, 5);
  for (const o of out.outputs) assert.deepEqual(o.tokenIds, expected);
  const deltas: number[] = [];
  for await (const d of llm.stream(P1, { temperature: 1, seed: 3, maxTokens: 4, n: 2 })) {
    deltas.push(...d.outputs.map((o) => o.index));
  }
  assert.deepEqual([...new Set(deltas)].sort(), [0, 1]);
});

test('logprobs and prompt logprobs reach the output', async () => {
  const { llm } = setup({ maxNumBatchedTokens: 4 });
  const [out] = await llm.generate(P1, { temperature: 0, maxTokens: 3, logprobs: 2, promptLogprobs: 1 });
  const seq = out.outputs[0];
  assert.equal(seq.logprobs?.length, 3);
  seq.logprobs?.forEach((lp, i) => {
    assert.equal(lp.tokenIds[0], seq.tokenIds[i]);
    assert.equal(lp.ranks[0], 1);
    assert.equal(lp.tokenIds.length, 3);
  });
  const sum = seq.logprobs?.reduce((a, lp) => a + lp.logprobs[0], 0) ?? 0;
  assert.ok(Math.abs((seq.cumulativeLogprob ?? 0) - sum) < 1e-9);
  assert.equal(out.promptLogprobs?.length, P1.length);
  assert.equal(out.promptLogprobs?.[0], null);
  out.promptLogprobs?.slice(1).forEach((lp, i) => {
    assert.equal(lp?.tokenIds[0], P1[i + 1]);
  });
});

test('text prompts are encoded with the tokenizer', async () => {
  const { fake, llm } = setup();
  const [out] = await llm.generate('hello world', { temperature: 0, maxTokens: 4 });
  assert.deepEqual(out.promptTokenIds, tokenizer.encode('hello world'));
  assert.deepEqual(out.outputs[0].tokenIds, referenceGreedy(fake, tokenizer.encode('hello world'), 4));
});

test('invalid requests reject generate and leave nothing running', async () => {
  const { llm } = setup();
  await assert.rejects(llm.generate([P1, P2], { topP: 0 }), InvalidSamplingParamsError);
  await assert.rejects(llm.generate([P1, makePrompt(1, 300, VOCAB)], { maxTokens: 4 }), RequestTooLargeError);
  assert.equal(llm.engineCore.hasUnfinishedRequests(), false);
});

test('an executor failure rejects the affected requests; later ones run', async () => {
  const { fake, llm } = setup();
  const real = fake.execute.bind(fake);
  let fail = true;
  fake.execute = async (input: ModelInput) => {
    if (fail) {
      fail = false;
      throw new Error('boom');
    }
    return real(input);
  };
  await assert.rejects(llm.generate(P1, { maxTokens: 3 }), ExecutorError);
  const [ok] = await llm.generate(P1, { temperature: 0, maxTokens: 3 });
  assert.deepEqual(ok.outputs[0].tokenIds, referenceGreedy(fake, P1, 3));
});

test('abort ends a generate call with finish reason abort', async () => {
  const { llm } = setup({}, 2);
  const pending = llm.generate({ promptTokenIds: P2, requestId: 'abort-me' }, { maxTokens: 200 });
  await new Promise((r) => setTimeout(r, 10));
  llm.abort('abort-me');
  const [out] = await pending;
  assert.equal(out.outputs[0].finishReason, 'abort');
  assert.equal(llm.engineCore.kvCacheManager.numFreeBlocks, 128);
});
