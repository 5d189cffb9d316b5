import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidSamplingParamsError } from './errors.js';
import { SamplingParams, type SamplingParamsInit } from './sampling-params.js';

test("defaults follow vLLM's", () => {
  const p = SamplingParams.create();
  assert.equal(p.n, 1);
  assert.equal(p.temperature, 1);
  assert.equal(p.topK, 0);
  assert.equal(p.topP, 1);
  assert.equal(p.minP, 0);
  assert.equal(p.repetitionPenalty, 1);
  assert.equal(p.maxTokens, 16);
  assert.equal(p.minTokens, 0);
  assert.deepEqual(p.stop, []);
  assert.equal(p.seed, null);
  assert.equal(p.logprobs, null);
  assert.equal(p.isGreedy, false);
  assert.equal(SamplingParams.create({ temperature: 0 }).isGreedy, true);
  assert.ok(Object.isFrozen(p));
});

test('normalizes: stop string to list, top_k -1 to 0, logit_bias string keys, maxTokens null', () => {
  const p = SamplingParams.create({ stop: 'END', topK: -1, logitBias: { '5': -3 }, maxTokens: null });
  assert.deepEqual(p.stop, ['END']);
  assert.equal(p.topK, 0);
  assert.equal(p.logitBias?.get(5), -3);
  assert.equal(p.maxTokens, null);
});

const invalid: [SamplingParamsInit, string, string][] = [
  [{ n: 0 }, 'n', 'n'],
  [{ n: 1.5 }, 'n', 'n'],
  [{ temperature: -0.1 }, 'temperature', 'temperature'],
  [{ temperature: Number.NaN }, 'temperature', 'temperature'],
  [{ topK: -2 }, 'topK', 'top_k'],
  [{ topP: 0 }, 'topP', 'top_p'],
  [{ topP: 1.1 }, 'topP', 'top_p'],
  [{ minP: -0.1 }, 'minP', 'min_p'],
  [{ minP: 2 }, 'minP', 'min_p'],
  [{ presencePenalty: 2.5 }, 'presencePenalty', 'presence_penalty'],
  [{ frequencyPenalty: -3 }, 'frequencyPenalty', 'frequency_penalty'],
  [{ repetitionPenalty: 0 }, 'repetitionPenalty', 'repetition_penalty'],
  [{ seed: 0.5 }, 'seed', 'seed'],
  [{ stop: ['ok', ''] }, 'stop', 'stop'],
  [{ stopTokenIds: [-1] }, 'stopTokenIds', 'stop_token_ids'],
  [{ maxTokens: 0 }, 'maxTokens', 'max_tokens'],
  [{ minTokens: -1 }, 'minTokens', 'min_tokens'],
  [{ minTokens: 5, maxTokens: 4 }, 'minTokens', 'min_tokens'],
  [{ logitBias: { x: 1 } }, 'logitBias', 'logit_bias'],
  [{ logitBias: { 3: Number.POSITIVE_INFINITY } }, 'logitBias', 'logit_bias'],
  [{ allowedTokenIds: [] }, 'allowedTokenIds', 'allowed_token_ids'],
  [{ badWords: [[]] }, 'badWords', 'bad_words'],
  [{ badWords: [[1, -2]] }, 'badWords', 'bad_words'],
  [{ logprobs: -1 }, 'logprobs', 'logprobs'],
  [{ promptLogprobs: 1.5 }, 'promptLogprobs', 'prompt_logprobs'],
  [{ outputKind: 'weird' as never }, 'outputKind', 'output_kind'],
];

for (const [init, field, param] of invalid) {
  test(`rejects ${JSON.stringify(init)} naming ${field}`, () => {
    assert.throws(
      () => SamplingParams.create(init),
      (e: unknown) =>
        e instanceof InvalidSamplingParamsError &&
        e.field === field &&
        e.param === param &&
        e.message.includes(param),
    );
  });
}

test('verifyForVocab rejects token ids outside the vocabulary, naming the field', () => {
  const cases: [SamplingParamsInit, string][] = [
    [{ stopTokenIds: [10] }, 'stopTokenIds'],
    [{ logitBias: { 10: 1 } }, 'logitBias'],
    [{ allowedTokenIds: [1, 10] }, 'allowedTokenIds'],
    [{ badWords: [[1, 10]] }, 'badWords'],
    [{ logprobs: 11 }, 'logprobs'],
  ];
  for (const [init, field] of cases) {
    const p = SamplingParams.create(init);
    assert.throws(
      () => p.verifyForVocab(10),
      (e: unknown) => e instanceof InvalidSamplingParamsError && e.field === field,
    );
  }
  SamplingParams.create({ stopTokenIds: [9], allowedTokenIds: [0, 9], logprobs: 10 }).verifyForVocab(10);
});

test('with() derives a validated copy', () => {
  const p = SamplingParams.create({ seed: 3, logitBias: { 1: 2 }, stop: ['x'] });
  const q = p.with({ seed: 4 });
  assert.equal(q.seed, 4);
  assert.equal(q.logitBias?.get(1), 2);
  assert.deepEqual(q.stop, ['x']);
  assert.throws(() => p.with({ topP: 0 }), InvalidSamplingParamsError);
});
