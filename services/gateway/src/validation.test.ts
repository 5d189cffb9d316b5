import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createGatewayApp } from './create-gateway-app.js';
import { assertError, engineIdle, loadTestBackend, MODEL_NAME, post } from './test-support.js';

const backend = loadTestBackend();
const app = createGatewayApp({ backend });
after(() => backend.close());

// ignore_eos: the model may sample its stop token (BOS) within 4 tokens at temperature 1.
const COMPLETION = { model: MODEL_NAME, prompt: 'The cat', max_tokens: 4, ignore_eos: true };
const CHAT = {
  model: MODEL_NAME,
  messages: [{ role: 'user', content: 'Hi' }],
  max_tokens: 4,
  ignore_eos: true,
};

async function expectServing() {
  const res = await post(app, '/v1/completions', COMPLETION);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens, 4);
}

test('malformed JSON, invalid UTF-8, empty and non-object bodies are 400s', async () => {
  await assertError(await post(app, '/v1/completions', '{"prompt": "x",'), 400, 'invalid_request', null);
  const bytes = new TextEncoder().encode(JSON.stringify(COMPLETION));
  const broken = new Uint8Array([...bytes.slice(0, 12), 0xff, 0xfe, ...bytes.slice(12)]);
  const err = await assertError(await post(app, '/v1/completions', broken), 400, 'invalid_request', null);
  assert.match(err.message, /UTF-8/);
  await assertError(await post(app, '/v1/completions', ''), 400, 'invalid_request', null);
  await assertError(await post(app, '/v1/completions', [1, 2]), 400, 'invalid_request', null);
  await expectServing();
});

test('an unknown model is a 404 model_not_found; an unknown route a 404', async () => {
  await assertError(
    await post(app, '/v1/completions', { ...COMPLETION, model: 'gpt-9' }),
    404,
    'model_not_found',
    'model',
  );
  await assertError(
    await post(app, '/v1/chat/completions', { ...CHAT, model: 'gpt-9' }),
    404,
    'model_not_found',
    'model',
  );
  const nowhere = await post(app, '/v1/nothing', COMPLETION, { 'x-request-id': 'lost-1' });
  assert.equal(nowhere.headers.get('x-request-id'), 'lost-1');
  await assertError(nowhere, 404, 'not_found', null);
  await assertError(await app.request('/v1/completions'), 404, 'not_found', null);
  await expectServing();
});

test('prompts longer than the context are context_length_exceeded', async () => {
  const long = Array.from({ length: 600 }, (_, i) => 3 + (i % 400));
  await assertError(
    await post(app, '/v1/completions', { ...COMPLETION, prompt: long }),
    400,
    'context_length_exceeded',
    'prompt',
  );
  await assertError(
    await post(app, '/v1/completions', { ...COMPLETION, prompt: long.slice(0, 500), max_tokens: 20 }),
    400,
    'context_length_exceeded',
    'max_tokens',
  );
  const words = 'the cat sat on a mat '.repeat(120);
  await assertError(
    await post(app, '/v1/chat/completions', { ...CHAT, messages: [{ role: 'user', content: words }] }),
    400,
    'context_length_exceeded',
    'messages',
  );
  await assertError(
    await post(app, '/v1/completions', { ...COMPLETION, max_tokens: 100_000 }),
    400,
    'context_length_exceeded',
    'max_tokens',
  );
  await expectServing();
});

test('bad values and wrong types name their field', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ max_tokens: -1 }, 'max_tokens'],
    [{ max_tokens: 0 }, 'max_tokens'],
    [{ max_tokens: 1e20 }, 'max_tokens'],
    [{ max_tokens: 2.5 }, 'max_tokens'],
    [{ max_tokens: '10' }, 'max_tokens'],
    [{ temperature: -0.5 }, 'temperature'],
    [{ temperature: 'hot' }, 'temperature'],
    [{ top_p: 0 }, 'top_p'],
    [{ top_p: 1.5 }, 'top_p'],
    [{ top_k: -2 }, 'top_k'],
    [{ min_p: 2 }, 'min_p'],
    [{ presence_penalty: 3 }, 'presence_penalty'],
    [{ frequency_penalty: -3 }, 'frequency_penalty'],
    [{ repetition_penalty: 0 }, 'repetition_penalty'],
    [{ n: 0 }, 'n'],
    [{ seed: 1.5 }, 'seed'],
    [{ stop: 5 }, 'stop'],
    [{ stop: [''] }, 'stop[0]'],
    [{ logprobs: 21 }, 'logprobs'],
    [{ logprobs: true }, 'logprobs'],
    [{ prompt: 42 }, 'prompt'],
    [{ prompt: [] }, 'prompt'],
    [{ prompt: [1, -3] }, 'prompt[1]'],
    [{ prompt: [1, 9999] }, 'prompt'],
    [{ stop_token_ids: [9999] }, 'stop_token_ids'],
    [{ allowed_token_ids: [] }, 'allowed_token_ids'],
    [{ logit_bias: { abc: 1 } }, 'logit_bias.abc'],
    [{ logit_bias: { '5': 1000 } }, 'logit_bias.5'],
    [{ min_tokens: 10, max_tokens: 4 }, 'min_tokens'],
    [{ echo: 'yes' }, 'echo'],
    [{ stream: 'true' }, 'stream'],
    [{ stream_options: { include_usage: true } }, 'stream_options'],
    [{ stream: true, prompt_logprobs: 1 }, 'prompt_logprobs'],
    [{ priority: 'high' }, 'priority'],
    [{ cache_salt: '' }, 'cache_salt'],
    [{ slo: { ttft_ms: -5 } }, 'slo.ttft_ms'],
    [{ response_format: { type: 'json_object' } }, 'response_format.type'],
    [{ response_format: { type: 'yaml' } }, 'response_format.type'],
  ];
  for (const [fields, param] of cases) {
    const res = await post(app, '/v1/completions', { ...COMPLETION, ...fields });
    await assertError(res, 400, 'invalid_request', param);
  }
  const jsonMode = await post(app, '/v1/completions', {
    ...COMPLETION,
    response_format: { type: 'json_schema' },
  });
  assert.match((await assertError(jsonMode, 400, 'invalid_request')).message, /not supported yet/);
  await expectServing();
});

test('chat fields are checked too', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ messages: [] }, 'messages'],
    [{ messages: undefined }, 'messages'],
    [{ messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
    [{ messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
    [
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] },
      'messages[0].content[0].type',
    ],
    [{ logprobs: 2 }, 'logprobs'],
    [{ top_logprobs: 2 }, 'top_logprobs'],
    [{ logprobs: true, top_logprobs: 30 }, 'top_logprobs'],
    [{ max_completion_tokens: -4 }, 'max_completion_tokens'],
    [{ max_completion_tokens: 1000 }, 'max_completion_tokens'],
    [{ n: 1.5 }, 'n'],
  ];
  for (const [fields, param] of cases) {
    const res = await post(app, '/v1/chat/completions', { ...CHAT, ...fields });
    const expectedCode = param === 'max_completion_tokens' && fields.max_completion_tokens === 1000;
    await assertError(res, 400, expectedCode ? 'context_length_exceeded' : 'invalid_request', param);
  }
  await expectServing();
});

test('unknown fields are ignored and null means absent', async () => {
  const res = await post(app, '/v1/completions', {
    ...COMPLETION,
    frobnicate: true,
    best_of: null,
    top_p: null,
    user: 'u',
  });
  assert.equal(res.status, 200);
  const chat = await post(app, '/v1/chat/completions', {
    ...CHAT,
    tools: null,
    temperature: null,
    store: false,
  });
  assert.equal(chat.status, 200);
  const textFormat = await post(app, '/v1/chat/completions', { ...CHAT, response_format: { type: 'text' } });
  assert.equal(textFormat.status, 200);
});

test('SLO headers must be positive numbers', async () => {
  const bad = await post(app, '/v1/completions', COMPLETION, { 'x-slo-ttft-ms': 'soon' });
  await assertError(bad, 400, 'invalid_request', 'x-slo-ttft-ms');
  const ok = await post(app, '/v1/completions', COMPLETION, {
    'x-slo-ttft-ms': '250',
    'x-slo-tpot-ms': '40',
  });
  assert.equal(ok.status, 200);
  assert.ok(engineIdle(backend));
});
