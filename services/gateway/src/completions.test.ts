import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createGatewayApp } from './create-gateway-app.js';
import { engineIdle, loadTestBackend, MODEL_NAME, parseSse, post } from './test-support.js';

const backend = loadTestBackend();
const app = createGatewayApp({ backend });
const tok = backend.model.tokenizer;
after(() => backend.close());

interface Choice {
  index: number;
  text: string;
  finish_reason: string | null;
  stop_reason: string | number | null;
  logprobs: {
    tokens: string[];
    token_logprobs: (number | null)[];
    top_logprobs: unknown[];
    text_offset: number[];
  } | null;
}
interface Body {
  id: string;
  object: string;
  model: string;
  choices: Choice[];
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: unknown;
  };
}

async function complete(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await post(app, '/v1/completions', { model: MODEL_NAME, ...body }, headers);
  assert.equal(res.status, 200, await res.clone().text());
  return { res, body: (await res.json()) as Body };
}

test('greedy completion equals the engine, with exact usage', async () => {
  for (const [prompt, maxTokens] of [
    ['Once upon a time', 40],
    ['Lily and Tom', 12],
  ] as const) {
    const { body } = await complete({ prompt, max_tokens: maxTokens, temperature: 0 });
    const ids = tok.encode(prompt);
    const [expected] = await backend.llm.generate(ids, { temperature: 0, maxTokens });
    const out = expected.outputs[0];
    assert.equal(body.object, 'text_completion');
    assert.match(body.id, /^cmpl-/);
    assert.equal(body.model, MODEL_NAME);
    assert.equal(body.choices.length, 1);
    assert.equal(body.choices[0].text, out.text);
    assert.equal(body.choices[0].finish_reason, out.finishReason);
    assert.deepEqual(body.usage, {
      prompt_tokens: ids.length,
      completion_tokens: out.tokenIds.length,
      total_tokens: ids.length + out.tokenIds.length,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  }
  // "Once upon a time" stops on BOS after 16 tokens (llama2.c's rule); "Lily and Tom" hits max_tokens.
  const stopped = await complete({ prompt: 'Once upon a time', max_tokens: 40, temperature: 0 });
  assert.equal(stopped.body.choices[0].finish_reason, 'stop');
  assert.equal(stopped.body.usage.completion_tokens, 16);
  assert.equal(stopped.body.usage.prompt_tokens, 5);
  const capped = await complete({ prompt: 'Lily and Tom', max_tokens: 12, temperature: 0 });
  assert.equal(capped.body.choices[0].finish_reason, 'length');
  assert.equal(capped.body.usage.completion_tokens, 12);
});

test('a repeated long prompt reports its cached prefix tokens', async () => {
  const prompt =
    'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her big red ball and her dog.';
  const len = tok.encode(prompt).length;
  assert.ok(len > 32, `prompt of ${len} tokens`);
  const first = await complete({ prompt, max_tokens: 2, temperature: 0 });
  const second = await complete({ prompt, max_tokens: 2, temperature: 0 });
  assert.equal(first.body.usage.prompt_tokens, len);
  const cached = (second.body.usage.prompt_tokens_details as { cached_tokens: number }).cached_tokens;
  assert.equal(cached, Math.floor((len - 1) / 16) * 16);
  assert.equal(second.body.choices[0].text, first.body.choices[0].text);
});

test('the stream carries the same text, ends with [DONE] and reports usage last', async () => {
  const request = { prompt: 'The cat', max_tokens: 20, temperature: 0 };
  const { body: whole } = await complete(request);
  const res = await post(app, '/v1/completions', {
    ...request,
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = parseSse(await res.text());
  const usage = events.at(-1) as unknown as Body;
  assert.deepEqual(usage.choices, []);
  assert.deepEqual(usage.usage, whole.usage);
  const chunks = events.slice(0, -1) as unknown as (Omit<Body, 'usage'> & { usage: null })[];
  assert.ok(chunks.length > 1);
  for (const c of chunks) {
    assert.equal(c.object, 'text_completion');
    assert.equal(c.usage, null);
    assert.equal(c.id, chunks[0].id);
  }
  assert.equal(chunks.map((c) => c.choices[0].text).join(''), whole.choices[0].text);
  assert.equal(chunks.at(-1)?.choices[0].finish_reason, 'length');
  assert.ok(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null));
  const plain = parseSse(await (await post(app, '/v1/completions', { ...request, stream: true })).text());
  assert.ok(
    plain.every((e) => !('usage' in e)),
    'no usage without include_usage',
  );
});

test('n=2 with a seed gives two reproducible choices', async () => {
  const request = { prompt: 'Lily and Tom', max_tokens: 10, temperature: 1, n: 2, seed: 7 };
  const a = await complete(request);
  const b = await complete(request);
  assert.deepEqual(
    a.body.choices.map((c) => c.index),
    [0, 1],
  );
  assert.deepEqual(
    a.body.choices.map((c) => c.text),
    b.body.choices.map((c) => c.text),
  );
  assert.equal(a.body.usage.completion_tokens, 20);
  const other = await complete({ ...request, seed: 8 });
  assert.notDeepEqual(
    other.body.choices.map((c) => c.text),
    a.body.choices.map((c) => c.text),
  );
  const events = parseSse(await (await post(app, '/v1/completions', { ...request, stream: true })).text());
  const texts = ['', ''];
  for (const e of events as unknown as Body[]) for (const c of e.choices) texts[c.index] += c.text;
  assert.deepEqual(
    texts,
    a.body.choices.map((c) => c.text),
  );
});

test('a stop string cuts the text and is reported as the stop reason', async () => {
  const full = (await complete({ prompt: 'The cat', max_tokens: 30, temperature: 0 })).body.choices[0].text;
  const stop = full.slice(8, 11);
  const cut = full.indexOf(stop);
  const { body } = await complete({
    prompt: 'The cat',
    max_tokens: 30,
    temperature: 0,
    stop: [stop, 'zzzz'],
  });
  assert.equal(body.choices[0].text, full.slice(0, cut));
  assert.equal(body.choices[0].finish_reason, 'stop');
  assert.equal(body.choices[0].stop_reason, stop);
  const kept = await complete({
    prompt: 'The cat',
    max_tokens: 30,
    temperature: 0,
    stop,
    include_stop_str_in_output: true,
  });
  assert.equal(kept.body.choices[0].text, full.slice(0, cut + stop.length));
});

test('token-id prompts and prompt lists give one choice per prompt', async () => {
  const p1 = tok.encode('The cat');
  const p2 = tok.encode('Lily and Tom');
  const one = (await complete({ prompt: p1, max_tokens: 6, temperature: 0 })).body;
  const two = (await complete({ prompt: 'Lily and Tom', max_tokens: 6, temperature: 0 })).body;
  const both = (await complete({ prompt: [p1, p2], max_tokens: 6, temperature: 0 })).body;
  assert.deepEqual(
    both.choices.map((c) => [c.index, c.text]),
    [
      [0, one.choices[0].text],
      [1, two.choices[0].text],
    ],
  );
  assert.equal(both.usage.prompt_tokens, p1.length + p2.length);
  assert.equal(both.usage.completion_tokens, 12);
  const strings = (await complete({ prompt: ['The cat', 'Lily and Tom'], max_tokens: 6, temperature: 0 }))
    .body;
  assert.deepEqual(
    strings.choices.map((c) => c.text),
    both.choices.map((c) => c.text),
  );
});

test('logprobs and echo come in OpenAI completions format', async () => {
  const { body } = await complete({ prompt: 'The cat', max_tokens: 5, temperature: 0, logprobs: 2 });
  const lp = body.choices[0].logprobs!;
  assert.equal(lp.tokens.length, 5);
  assert.equal(lp.tokens.join(''), body.choices[0].text);
  assert.ok(lp.token_logprobs.every((x) => typeof x === 'number' && x <= 0));
  for (const [i, top] of lp.top_logprobs.entries()) {
    const rec = top as Record<string, number>;
    assert.ok(Object.keys(rec).length >= 2 && Object.keys(rec).length <= 3);
    assert.equal(rec[lp.tokens[i]], lp.token_logprobs[i]);
    // Greedy: the chosen token is the most likely one.
    assert.equal(Math.max(...Object.values(rec)), lp.token_logprobs[i]);
  }
  assert.deepEqual(
    lp.text_offset,
    [0, 1, 2, 3, 4].map((i) => lp.tokens.slice(0, i).join('').length),
  );
  const echoed = (
    await complete({ prompt: 'The cat', max_tokens: 5, temperature: 0, logprobs: 1, echo: true })
  ).body;
  const e = echoed.choices[0];
  assert.equal(e.text, `The cat${body.choices[0].text}`);
  const promptLen = tok.encode('The cat').length;
  assert.equal(e.logprobs!.tokens.length, promptLen + 5);
  assert.equal(e.logprobs!.token_logprobs[0], null);
  assert.ok(e.logprobs!.token_logprobs.slice(1).every((x) => typeof x === 'number'));
});

test('the client X-Request-Id names the response and is echoed', async () => {
  const { res, body } = await complete(
    { prompt: 'The cat', max_tokens: 2 },
    { 'x-request-id': 'client-id.42' },
  );
  assert.equal(res.headers.get('x-request-id'), 'client-id.42');
  assert.equal(body.id, 'cmpl-client-id.42');
  const bad = await complete({ prompt: 'The cat', max_tokens: 2 }, { 'x-request-id': 'bad id#with spaces' });
  const fresh = bad.res.headers.get('x-request-id') ?? '';
  assert.match(fresh, /^[0-9a-f]{32}$/);
  assert.equal(bad.body.id, `cmpl-${fresh}`);
  assert.ok(engineIdle(backend));
});
