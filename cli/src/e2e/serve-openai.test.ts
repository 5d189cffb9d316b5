import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  expectError,
  instancesOf,
  MODEL_NAME,
  parseSse,
  post,
  recentLogs,
  referenceEngine,
  type ServeProcess,
  startServe,
} from './e2e-support.js';

type Completion = {
  choices: { index: number; text: string; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
};
type Chat = {
  choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
};

/** `pdserve serve` with 1 prefill + 1 decode instance over a real nats-server, once for the file. */
describe('pdserve serve: the OpenAI endpoint over NATS (1 prefill + 1 decode)', () => {
  let serve: ServeProcess;
  let ref: ReturnType<typeof referenceEngine>;
  const tokens = async (body: unknown) =>
    ((await (await post(serve.url, '/tokenize', body)).json()) as { tokens: number[] }).tokens;

  before(async () => {
    ref = referenceEngine();
    serve = await startServe(['--prefill', '1', '--decode', '1', '--num-blocks', '64']);
  });
  after(async () => {
    ref?.close();
    const exit = await serve?.stop();
    assert.equal(exit?.code, 0, `pdserve serve exits 0 on Ctrl-C\n${recentLogs()}`);
  });

  it('lists the model and reports every instance healthy', async () => {
    const models = (await (await fetch(`${serve.url}/v1/models`)).json()) as {
      data: { id: string; max_model_len: number }[];
    };
    assert.deepEqual(
      models.data.map((m) => [m.id, m.max_model_len]),
      [[MODEL_NAME, 512]],
    );
    const roles = (await instancesOf(serve.url)).map((i) => i.role).sort();
    assert.deepEqual(roles, ['decode', 'prefill']);
  });

  it('greedy completions equal the engine run in this process, with exact usage', async () => {
    for (const prompt of ['Once upon a time', 'Lily and Tom went to the park', 'The cat']) {
      const res = await post(serve.url, '/v1/completions', {
        model: MODEL_NAME,
        prompt,
        max_tokens: 24,
        temperature: 0,
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as Completion;
      const ids = await tokens({ prompt });
      const [want] = await ref.generate(ids, { maxTokens: 24, temperature: 0 });
      assert.equal(body.choices[0].text, want.text, prompt);
      assert.equal(body.usage.prompt_tokens, ids.length);
      assert.equal(body.usage.completion_tokens, want.tokenIds.length);
      assert.equal(body.usage.total_tokens, ids.length + want.tokenIds.length);
    }
  });

  it('seeded sampling with n = 2 equals the engine, choice by choice', async () => {
    const prompt = 'Once upon a time';
    const params = { n: 2, temperature: 0.9, seed: 1234, max_tokens: 20, ignore_eos: true };
    const res = await post(serve.url, '/v1/completions', { prompt, ...params });
    const body = (await res.json()) as Completion;
    const want = await ref.generate(await tokens({ prompt }), {
      n: 2,
      temperature: 0.9,
      seed: 1234,
      maxTokens: 20,
      ignoreEos: true,
    });
    const got = [...body.choices].sort((a, b) => a.index - b.index).map((c) => c.text);
    assert.deepEqual(
      got,
      want.map((w) => w.text),
    );
    assert.equal(body.usage.completion_tokens, 40);
    assert.notEqual(got[0], got[1], 'two different samples');
  });

  it('streams completions: the deltas add up to the non-streamed text; include_usage adds a usage chunk', async () => {
    const req = { prompt: 'Lily and Tom', max_tokens: 30, temperature: 0, ignore_eos: true };
    const whole = (await (await post(serve.url, '/v1/completions', req)).json()) as Completion;
    const res = await post(serve.url, '/v1/completions', {
      ...req,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = parseSse(await res.text());
    const text = events.flatMap((e) => (e.choices as { text: string }[]).map((c) => c.text)).join('');
    assert.equal(text, whole.choices[0].text);
    const last = events.at(-1) as { usage: Completion['usage']; choices: unknown[] };
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.completion_tokens, 30);
    assert.equal(last.usage.prompt_tokens, whole.usage.prompt_tokens);
  });

  it('chat completions, streamed and not, equal the engine on the chat-templated prompt', async () => {
    const messages = [{ role: 'user', content: 'Tell me a story about a dog' }];
    const res = await post(serve.url, '/v1/chat/completions', { messages, max_tokens: 16, temperature: 0 });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Chat;
    const ids = await tokens({ messages });
    const [want] = await ref.generate(ids, { maxTokens: 16, temperature: 0 });
    assert.equal(body.choices[0].message.role, 'assistant');
    assert.equal(body.choices[0].message.content, want.text);
    assert.equal(body.usage.prompt_tokens, ids.length);
    assert.equal(body.usage.completion_tokens, want.tokenIds.length);
    const streamed = await post(serve.url, '/v1/chat/completions', {
      messages,
      max_tokens: 16,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = parseSse(await streamed.text());
    const content = events
      .flatMap((e) => (e.choices as { delta: { content?: string } }[]).map((c) => c.delta.content ?? ''))
      .join('');
    assert.equal(content, want.text);
    assert.equal((events.at(-1) as Chat).usage.completion_tokens, want.tokenIds.length);
  });

  it('reports prefix-cache hits of a repeated long prompt in usage', async () => {
    const prompt =
      'Once upon a time there was a little girl named Lily who loved to play outside in the sun.';
    const ids = await tokens({ prompt });
    assert.ok(ids.length >= 17, 'the prompt spans a full block');
    const first = (await (
      await post(serve.url, '/v1/completions', { prompt, max_tokens: 4 })
    ).json()) as Completion;
    const again = (await (await post(serve.url, '/v1/completions', { prompt, max_tokens: 4 })).json()) as {
      usage: { prompt_tokens_details: { cached_tokens: number } };
    };
    assert.equal(first.usage.prompt_tokens, ids.length);
    assert.equal(again.usage.prompt_tokens_details.cached_tokens, 16 * Math.floor((ids.length - 1) / 16));
  });

  it('answers bad input with a 4xx OpenAI error and keeps serving', async () => {
    const long = Array.from({ length: 600 }, () => 300);
    const cases: [string, Response | Promise<Response>, number, string][] = [
      ['malformed JSON', post(serve.url, '/v1/completions', '{"prompt": "x",'), 400, 'invalid_request'],
      [
        'unknown model',
        post(serve.url, '/v1/completions', { model: 'nope', prompt: 'x' }),
        404,
        'model_not_found',
      ],
      [
        'prompt over the context',
        post(serve.url, '/v1/completions', { prompt: long }),
        400,
        'context_length_exceeded',
      ],
      [
        'negative max_tokens',
        post(serve.url, '/v1/completions', { prompt: 'x', max_tokens: -3 }),
        400,
        'invalid_request',
      ],
      [
        'huge max_tokens',
        post(serve.url, '/v1/completions', { prompt: 'x', max_tokens: 1e9 }),
        400,
        'context_length_exceeded',
      ],
      [
        'max_tokens of the wrong type',
        post(serve.url, '/v1/completions', { prompt: 'x', max_tokens: 'ten' }),
        400,
        'invalid_request',
      ],
      [
        'temperature of the wrong type',
        post(serve.url, '/v1/completions', { prompt: 'x', temperature: 'hot' }),
        400,
        'invalid_request',
      ],
      [
        'messages of the wrong type',
        post(serve.url, '/v1/chat/completions', { messages: 'hi' }),
        400,
        'invalid_request',
      ],
      [
        'token outside the vocabulary',
        post(serve.url, '/v1/completions', { prompt: [1, 99999] }),
        400,
        'invalid_request',
      ],
      [
        'out-of-range top_p',
        post(serve.url, '/v1/completions', { prompt: 'x', top_p: 7 }),
        400,
        'invalid_request',
      ],
      [
        'invalid UTF-8',
        post(
          serve.url,
          '/v1/completions',
          new Uint8Array([0x7b, 0x22, 0x70, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        ),
        400,
        'invalid_request',
      ],
    ];
    for (const [what, pending, status, code] of cases) {
      const res = await pending;
      await expectError(res, status, code).catch((error: Error) => assert.fail(`${what}: ${error.message}`));
    }
    const ok = await post(serve.url, '/v1/completions', { prompt: 'Once upon a time', max_tokens: 4 });
    assert.equal(ok.status, 200, 'still serving after the bad requests');
    assert.equal(((await ok.json()) as Completion).usage.completion_tokens > 0, true);
  });
});
