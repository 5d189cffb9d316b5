import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { createGatewayApp } from './create-gateway-app.js';
import { assertError, loadTestBackend, MODEL_NAME, post } from './test-support.js';

const backend = loadTestBackend();
const app = createGatewayApp({ backend });
const tok = backend.model.tokenizer;
after(() => backend.close());

test('/v1/models lists the served model with its context length', async () => {
  const res = await app.request('/v1/models');
  const body = (await res.json()) as { object: string; data: Record<string, unknown>[] };
  assert.equal(body.object, 'list');
  assert.equal(body.data.length, 1);
  assert.deepEqual(
    { id: body.data[0].id, object: body.data[0].object, max_model_len: body.data[0].max_model_len },
    { id: MODEL_NAME, object: 'model', max_model_len: 512 },
  );
});

test('/health reflects the backend; /version reports the package version', async () => {
  const health = await app.request('/health');
  assert.equal(health.status, 200);
  const detail = ((await health.json()) as { detail: { numBlocks: number } }).detail;
  assert.equal(detail.numBlocks, backend.executor.numBlocks);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.deepEqual(await (await app.request('/version')).json(), { version: pkg.version });
  const closed = loadTestBackend();
  closed.close();
  assert.equal((await createGatewayApp({ backend: closed }).request('/health')).status, 503);
});

test('/metrics counts requests by route and status, or serves the hook', async () => {
  const fresh = createGatewayApp({ backend });
  await fresh.request('/v1/models');
  await fresh.request('/v1/models');
  await post(fresh, '/v1/completions', { prompt: 'x', max_tokens: -1 });
  await fresh.request('/nowhere');
  const res = await fresh.request('/metrics');
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  assert.match(text, /^# TYPE pdserve_gateway_requests_total counter$/m);
  assert.match(text, /^pdserve_gateway_requests_total\{route="\/v1\/models",status="200"\} 2$/m);
  assert.match(text, /^pdserve_gateway_requests_total\{route="\/v1\/completions",status="400"\} 1$/m);
  assert.match(text, /^pdserve_gateway_requests_total\{route="other",status="404"\} 1$/m);
  const hooked = createGatewayApp({ backend, metrics: async () => 'vllm:num_requests_running 0\n' });
  assert.equal(await (await hooked.request('/metrics')).text(), 'vllm:num_requests_running 0\n');
});

test('/tokenize and /detokenize use vLLM shapes and round-trip', async () => {
  const res = await post(app, '/tokenize', {
    model: MODEL_NAME,
    prompt: 'The cat sat',
    return_token_strs: true,
  });
  const body = (await res.json()) as {
    count: number;
    max_model_len: number;
    tokens: number[];
    token_strs: string[];
  };
  assert.deepEqual(body.tokens, tok.encode('The cat sat'));
  assert.equal(body.count, body.tokens.length);
  assert.equal(body.max_model_len, 512);
  assert.equal(body.token_strs.slice(1).join(''), ' The cat sat');
  const noBos = (await (
    await post(app, '/tokenize', { prompt: 'The cat', add_special_tokens: false })
  ).json()) as {
    tokens: number[];
  };
  assert.deepEqual(noBos.tokens, tok.encode('The cat', { addBos: false }));
  const chat = (await (
    await post(app, '/tokenize', { messages: [{ role: 'user', content: 'Hi' }] })
  ).json()) as {
    tokens: number[];
  };
  assert.deepEqual(chat.tokens, tok.encode('user: Hi\nassistant:'));
  const back = await post(app, '/detokenize', { model: MODEL_NAME, tokens: body.tokens });
  assert.deepEqual(await back.json(), { prompt: 'The cat sat' });
  await assertError(
    await post(app, '/detokenize', { tokens: [1, 4096] }),
    400,
    'invalid_request',
    'tokens[1]',
  );
  await assertError(
    await post(app, '/tokenize', { model: 'other', prompt: 'x' }),
    404,
    'model_not_found',
    'model',
  );
});
