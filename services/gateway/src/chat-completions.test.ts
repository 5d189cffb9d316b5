import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { applyChatTemplate, DEFAULT_CHAT_TEMPLATE } from '@pdserve/model';
import { createGatewayApp } from './create-gateway-app.js';
import { engineIdle, loadTestBackend, MODEL_NAME, parseSse, post } from './test-support.js';

const backend = loadTestBackend();
const app = createGatewayApp({ backend });
const tok = backend.model.tokenizer;
after(() => backend.close());

const MESSAGES = [
  { role: 'system', content: 'You tell stories.' },
  {
    role: 'user',
    content: [
      { type: 'text', text: 'Tell me' },
      { type: 'text', text: 'about a cat' },
    ],
  },
];

interface ChatBody {
  id: string;
  object: string;
  choices: {
    index: number;
    message: { role: string; content: string };
    finish_reason: string | null;
    logprobs: {
      content: { token: string; logprob: number; bytes: number[]; top_logprobs: unknown[] }[];
    } | null;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface ChatChunk {
  id: string;
  object: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: ChatBody['usage'] | null;
}

async function chat(body: Record<string, unknown>) {
  const res = await post(app, '/v1/chat/completions', { model: MODEL_NAME, messages: MESSAGES, ...body });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as ChatBody;
}

test('greedy chat equals the engine on the default template, with exact usage', async () => {
  const body = await chat({ max_tokens: 24, temperature: 0 });
  const text = applyChatTemplate(
    DEFAULT_CHAT_TEMPLATE,
    [
      { role: 'system', content: 'You tell stories.' },
      { role: 'user', content: 'Tell me\nabout a cat' },
    ],
    { addGenerationPrompt: true },
  );
  assert.ok(text.endsWith('assistant:'));
  const ids = tok.encode(text);
  const [expected] = await backend.llm.generate(ids, { temperature: 0, maxTokens: 24 });
  assert.equal(body.object, 'chat.completion');
  assert.match(body.id, /^chatcmpl-/);
  assert.deepEqual(body.choices[0].message, { role: 'assistant', content: expected.outputs[0].text });
  assert.equal(body.choices[0].finish_reason, expected.outputs[0].finishReason);
  assert.equal(body.usage.prompt_tokens, ids.length);
  assert.equal(body.usage.completion_tokens, expected.outputs[0].tokenIds.length);
  assert.equal(body.usage.total_tokens, ids.length + expected.outputs[0].tokenIds.length);
});

test('max_completion_tokens wins over max_tokens', async () => {
  const body = await chat({ max_tokens: 20, max_completion_tokens: 3, temperature: 0, ignore_eos: true });
  assert.equal(body.usage.completion_tokens, 3);
  assert.equal(body.choices[0].finish_reason, 'length');
});

test('the chat stream starts with the role, carries the text and ends with usage and [DONE]', async () => {
  const whole = await chat({ max_tokens: 16, temperature: 0 });
  const res = await post(app, '/v1/chat/completions', {
    messages: MESSAGES,
    max_tokens: 16,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  const events = parseSse(await res.text()) as unknown as ChatChunk[];
  assert.deepEqual(events[0].choices[0].delta, { role: 'assistant', content: '' });
  const last = events.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, whole.usage);
  const content = events.slice(1, -1);
  for (const e of events) assert.equal(e.object, 'chat.completion.chunk');
  assert.ok(content.every((e) => e.usage === null));
  assert.equal(
    content.map((e) => e.choices[0].delta.content ?? '').join(''),
    whole.choices[0].message.content,
  );
  assert.equal(content.at(-1)?.choices[0].finish_reason, whole.choices[0].finish_reason);
});

test('n=2 streams a role chunk and the text of each choice', async () => {
  const request = { max_tokens: 8, temperature: 0.8, seed: 11, n: 2 };
  const whole = await chat(request);
  const res = await post(app, '/v1/chat/completions', { messages: MESSAGES, ...request, stream: true });
  const events = parseSse(await res.text()) as unknown as ChatChunk[];
  const texts = ['', ''];
  const roles: number[] = [];
  for (const e of events) {
    for (const c of e.choices) {
      if (c.delta.role) roles.push(c.index);
      texts[c.index] += c.delta.content ?? '';
    }
  }
  assert.deepEqual(roles, [0, 1]);
  assert.deepEqual(
    texts,
    whole.choices.map((c) => c.message.content),
  );
});

test('chat logprobs list the chosen token and its top alternatives', async () => {
  const body = await chat({
    max_tokens: 4,
    temperature: 0,
    logprobs: true,
    top_logprobs: 3,
    ignore_eos: true,
  });
  const content = body.choices[0].logprobs!.content;
  assert.equal(content.length, 4);
  assert.equal(content.map((c) => c.token).join(''), body.choices[0].message.content);
  for (const c of content) {
    assert.equal(c.top_logprobs.length, 3);
    assert.deepEqual(c.bytes, [...new TextEncoder().encode(c.token)]);
    const best = (c.top_logprobs[0] as { logprob: number }).logprob;
    assert.equal(best, c.logprob);
  }
  const plain = await chat({ max_tokens: 2, temperature: 0 });
  assert.equal(plain.choices[0].logprobs, null);
});

test("a model's own chat template is used, with its BOS text", async () => {
  const template =
    "{{ bos_token }}{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}" +
    '{% if add_generation_prompt %}[assistant]{% endif %}';
  const custom = loadTestBackend({ chatTemplate: template });
  try {
    const customApp = createGatewayApp({ backend: custom });
    const messages = [{ role: 'user', content: 'Hi' }];
    const res = await post(customApp, '/tokenize', { messages });
    const body = (await res.json()) as { tokens: number[]; count: number };
    assert.equal(custom.model.bosToken, '<s>');
    const expected = tok.encode('[user] Hi\n[assistant]');
    assert.deepEqual(body.tokens, expected, 'one BOS: the rendered <s> parses to it and none is added');
    const chatRes = await post(customApp, '/v1/chat/completions', {
      messages,
      max_tokens: 3,
      temperature: 0,
    });
    const chatBody = (await chatRes.json()) as ChatBody;
    assert.equal(chatBody.usage.prompt_tokens, expected.length);
  } finally {
    custom.close();
  }
  assert.ok(engineIdle(backend));
});
