import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestOutput } from '@pdserve/engine';
import { loadModel } from '@pdserve/model';
import { ServiceError } from '@pdserve/protocol';
import { createGatewayApp } from './create-gateway-app.js';
import type { GenerateRequest, ServedModel, ServingBackend } from './serving-backend.js';
import { assertError, MODEL_NAME, MODEL_PATH, parseSse, post } from './test-support.js';

const MODEL: ServedModel = {
  name: MODEL_NAME,
  maxModelLen: 512,
  tokenizer: loadModel(MODEL_PATH).tokenizer,
  created: 1,
};
const COMPLETION = { model: MODEL_NAME, prompt: 'The cat', max_tokens: 4 };

function output(req: GenerateRequest, text: string, finished: boolean): RequestOutput {
  return {
    requestId: req.requestId,
    promptTokenIds: req.promptTokenIds,
    promptLogprobs: null,
    outputs: [
      {
        index: 0,
        text,
        tokenIds: [300],
        cumulativeLogprob: null,
        logprobs: null,
        finishReason: finished ? 'length' : null,
        stopReason: null,
      },
    ],
    finished,
    numCachedTokens: 0,
  };
}

/** Test double: records every GenerateRequest and answers with a scripted generator. */
class ScriptedTestBackend implements ServingBackend {
  readonly requests: GenerateRequest[] = [];
  constructor(private readonly script: (req: GenerateRequest) => AsyncGenerator<RequestOutput>) {}
  models(): ServedModel[] {
    return [MODEL];
  }
  generate(req: GenerateRequest): AsyncIterable<RequestOutput> {
    this.requests.push(req);
    return this.script(req);
  }
  async health() {
    return { ok: true };
  }
}

/** Test double: a cluster that refuses every request with ServiceError(code) before any output. */
function refusingTestBackend(code: 'overloaded' | 'unavailable' | 'rate_limited', retryAfterS: number) {
  return new ScriptedTestBackend(async function* () {
    yield* [];
    throw new ServiceError(code, `refused: ${code}`, { retryAfterS });
  });
}

const echoBackend = () =>
  new ScriptedTestBackend(async function* (req) {
    yield output(req, 'ok', true);
  });

test('overloaded, unavailable and rate_limited map to 429/503 with Retry-After, streaming or not', async () => {
  for (const [code, status, retry, header] of [
    ['overloaded', 429, 2.5, '3'],
    ['unavailable', 503, 10, '10'],
    ['rate_limited', 429, 0.2, '1'],
  ] as const) {
    const app = createGatewayApp({ backend: refusingTestBackend(code, retry) });
    for (const stream of [false, true]) {
      const res = await post(app, '/v1/completions', { ...COMPLETION, stream });
      assert.equal(res.headers.get('retry-after'), header);
      await assertError(res, status, code, null);
    }
  }
});

test('internal failures are 500s without internals; the cause goes to the log', async () => {
  const logged: Error[] = [];
  const backend = new ScriptedTestBackend(async function* () {
    yield* [];
    throw new Error('secret: connection string postgres://admin:pw@db');
  });
  const app = createGatewayApp({ backend, logError: (e) => logged.push(e) });
  const res = await post(app, '/v1/completions', COMPLETION);
  const text = await res.clone().text();
  assert.ok(!text.includes('secret'), text);
  const err = await assertError(res, 500, 'internal', null);
  assert.equal(err.message, 'internal server error');
  assert.equal(logged.length, 1);
  assert.match(String((logged[0].cause as Error).message), /secret/);
});

test('a failure mid-stream ends the stream with an error event and [DONE]', async () => {
  const backend = new ScriptedTestBackend(async function* (req) {
    yield output(req, 'Once', false);
    throw new ServiceError('unavailable', 'decode instance lost', { retryAfterS: 1 });
  });
  const res = await post(createGatewayApp({ backend }), '/v1/completions', { ...COMPLETION, stream: true });
  assert.equal(res.status, 200);
  const events = parseSse(await res.text()) as { choices?: { text: string }[]; error?: { code: string } }[];
  assert.equal(events[0].choices?.[0].text, 'Once');
  assert.equal(events.at(-1)?.error?.code, 'unavailable');
});

test('fields reach the backend in camelCase with SLO hints, priority and cache salt', async () => {
  const backend = echoBackend();
  const app = createGatewayApp({ backend });
  const body = {
    ...COMPLETION,
    temperature: 0.5,
    top_k: 5,
    top_p: 0.9,
    min_p: 0.05,
    presence_penalty: 0.5,
    frequency_penalty: -0.5,
    repetition_penalty: 1.1,
    seed: 3,
    stop: 'x',
    stop_token_ids: [7],
    min_tokens: 1,
    ignore_eos: true,
    logit_bias: { '10': -5 },
    allowed_token_ids: [10, 11],
    bad_words: ['cat'],
    priority: -1,
    cache_salt: 'tenant-a',
    slo: { ttft_ms: 200 },
  };
  const res = await post(app, '/v1/completions', body, { 'x-slo-ttft-ms': '999', 'x-slo-tpot-ms': '50' });
  assert.equal(res.status, 200);
  const req = backend.requests[0];
  assert.equal(req.model, MODEL_NAME);
  assert.deepEqual(req.promptTokenIds, MODEL.tokenizer.encode('The cat'));
  assert.deepEqual(req.slo, { ttftMs: 200, tpotMs: 50 });
  assert.equal(req.priority, -1);
  assert.equal(req.cacheSalt, 'tenant-a');
  const s = req.sampling;
  assert.deepEqual(
    [
      s.temperature,
      s.topK,
      s.topP,
      s.minP,
      s.presencePenalty,
      s.frequencyPenalty,
      s.repetitionPenalty,
      s.seed,
    ],
    [0.5, 5, 0.9, 0.05, 0.5, -0.5, 1.1, 3],
  );
  assert.deepEqual([s.stop, s.stopTokenIds, s.minTokens, s.ignoreEos, s.maxTokens], ['x', [7], 1, true, 4]);
  assert.deepEqual([s.logitBias, s.allowedTokenIds, s.outputKind], [{ '10': -5 }, [10, 11], 'delta']);
  const cat = MODEL.tokenizer.encode('cat', { addBos: false });
  assert.ok(s.badWords?.some((w) => w.join() === cat.join()));
  assert.match(req.requestId, /^cmpl-/);
});

test('API keys: Bearer required except on /health and /metrics', async () => {
  const app = createGatewayApp({ backend: echoBackend(), apiKeys: ['key-one', 'key-two'] });
  const missing = await post(app, '/v1/completions', COMPLETION, { 'x-request-id': 'who-1' });
  assert.equal(missing.headers.get('x-request-id'), 'who-1');
  await assertError(missing, 401, 'unauthorized', null);
  const wrong = await post(app, '/v1/completions', COMPLETION, { authorization: 'Bearer key-three' });
  await assertError(wrong, 401, 'unauthorized', null);
  await assertError(await app.request('/v1/models'), 401, 'unauthorized', null);
  const ok = await post(app, '/v1/completions', COMPLETION, { authorization: 'Bearer key-two' });
  assert.equal(ok.status, 200);
  assert.equal((await app.request('/health')).status, 200);
  assert.equal((await app.request('/metrics')).status, 200);
  const models = await app.request('/v1/models', { headers: { authorization: 'Bearer key-one' } });
  assert.equal(models.status, 200);
});

test('bodies over the limit are 413, declared or streamed; the default limit is 4 MiB', async () => {
  const app = createGatewayApp({ backend: echoBackend(), maxBodyBytes: 1024 });
  const big = { ...COMPLETION, prompt: 'a'.repeat(2000) };
  await assertError(await post(app, '/v1/completions', big), 413, 'payload_too_large', null);
  const bytes = new TextEncoder().encode(JSON.stringify(big));
  const streamed = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 256) c.enqueue(bytes.slice(i, i + 256));
      c.close();
    },
  });
  const init = { method: 'POST', body: streamed, duplex: 'half' } as RequestInit;
  const req = new Request('http://gateway/v1/completions', init);
  assert.equal(req.headers.get('content-length'), null);
  await assertError(await app.request(req), 413, 'payload_too_large', null);
  assert.equal((await post(app, '/v1/completions', COMPLETION)).status, 200);
  const defaultApp = createGatewayApp({ backend: echoBackend() });
  const huge = { ...COMPLETION, prompt: 'a'.repeat(4 * 1024 * 1024) };
  await assertError(await post(defaultApp, '/v1/completions', huge), 413, 'payload_too_large', null);
});

test('the per-key rate limit answers 429 with Retry-After until the bucket refills', async () => {
  let now = 0;
  const app = createGatewayApp({
    backend: echoBackend(),
    apiKeys: ['a', 'b'],
    rateLimit: { requestsPerSecond: 0.5, burst: 2 },
    clock: () => now,
  });
  const as = (key: string) => post(app, '/v1/completions', COMPLETION, { authorization: `Bearer ${key}` });
  assert.equal((await as('a')).status, 200);
  assert.equal((await as('a')).status, 200);
  const limited = await as('a');
  assert.equal(limited.headers.get('retry-after'), '2');
  await assertError(limited, 429, 'rate_limited', null);
  assert.equal((await as('b')).status, 200, 'another key has its own bucket');
  assert.equal((await app.request('/health')).status, 200, '/health is not limited');
  now += 2000;
  assert.equal((await as('a')).status, 200);
  assert.equal((await as('a')).status, 429);
});
