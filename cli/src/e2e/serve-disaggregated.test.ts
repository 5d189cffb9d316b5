import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type InstanceHealth,
  instancesOf,
  parseSse,
  post,
  recentLogs,
  referenceEngine,
  type ServeProcess,
  startServe,
  waitUntil,
} from './e2e-support.js';

const STEP_DELAY_MS = 20;

/** A prompt of `n` token ids (BOS first) that no other test uses, so no instance has it cached. */
function longPrompt(n: number, salt: number): number[] {
  return [1, ...Array.from({ length: n - 1 }, (_, i) => ((i * 7 + salt * 13) % 480) + 20)];
}

type Completion = {
  choices: { text: string; finish_reason: string; logprobs: { tokens: string[] } | null }[];
  usage: { prompt_tokens: number; completion_tokens: number };
};

const prefillOf = (instances: InstanceHealth[]) => instances.find((i) => i.role === 'prefill');

/**
 * `pdserve serve` with 1 prefill + 1 decode instance and the kv-connector agent: prompts of 300
 * tokens (over the router's 256-token threshold) are prefilled on the prefill instance and their
 * KV moved to the decode instance, which generates. The output must equal a colocated run's.
 */
describe('pdserve serve: disaggregated prefill/decode (1P + 1D + kv-connector agent)', () => {
  let serve: ServeProcess;
  let ref: ReturnType<typeof referenceEngine>;

  before(async () => {
    ref = referenceEngine();
    serve = await startServe(['--prefill', '1', '--decode', '1', '--num-blocks', '64'], {
      PDSERVE_DISCOVERY_HEARTBEAT_MS: '100',
      PDSERVE_DEBUG_STEP_DELAY_MS: String(STEP_DELAY_MS),
    });
  });
  after(async () => {
    ref?.close();
    const exit = await serve?.stop();
    assert.equal(exit?.code, 0, recentLogs());
  });

  it('a long prompt runs on the prefill instance and its greedy output equals a colocated run', async () => {
    const prompt = longPrompt(300, 1);
    const res = await post(serve.url, '/v1/completions', { prompt, max_tokens: 16, temperature: 0 });
    const body = (await res.json()) as Completion;
    assert.equal(res.status, 200, JSON.stringify(body));
    const [want] = await ref.generate(prompt, { maxTokens: 16, temperature: 0 });
    assert.equal(body.choices[0].text, want.text);
    assert.equal(body.usage.completion_tokens, want.tokenIds.length);
    assert.equal(body.usage.prompt_tokens, 300);
    const since = Date.now();
    await waitUntil(
      async () => {
        const p = prefillOf(await instancesOf(serve.url));
        return p !== undefined && p.timestampMs > since && p.prefillTokensPerS > 0;
      },
      10_000,
      'the prefill instance to report prefill work',
    );
  });

  it('seeded sampling across the hand-over equals a colocated run (the RNG state moves with the KV)', async () => {
    for (const seed of [7, 99]) {
      const prompt = longPrompt(300, 10 + seed);
      const params = { prompt, max_tokens: 24, temperature: 0.9, top_p: 0.95, seed, ignore_eos: true };
      const body = (await (await post(serve.url, '/v1/completions', params)).json()) as Completion;
      const [want] = await ref.generate(prompt, {
        maxTokens: 24,
        temperature: 0.9,
        topP: 0.95,
        seed,
        ignoreEos: true,
      });
      assert.equal(body.choices[0].text, want.text, `seed ${seed}`);
    }
  });

  it('streams a disaggregated request: the deltas add up to the colocated text, usage included', async () => {
    const prompt = longPrompt(290, 3);
    const res = await post(serve.url, '/v1/completions', {
      prompt,
      max_tokens: 20,
      temperature: 0,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = parseSse(await res.text());
    const text = events.flatMap((e) => (e.choices as { text: string }[]).map((c) => c.text)).join('');
    const [want] = await ref.generate(prompt, { maxTokens: 20, temperature: 0, ignoreEos: true });
    assert.equal(text, want.text);
    assert.equal((events.at(-1) as Completion).usage.completion_tokens, 20);
  });

  it('a long prompt that asks for logprobs runs colocated and gets them', async () => {
    const prompt = longPrompt(300, 4);
    const res = await post(serve.url, '/v1/completions', {
      prompt,
      max_tokens: 5,
      temperature: 0,
      logprobs: 2,
    });
    const body = (await res.json()) as Completion;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.choices[0].logprobs?.tokens.length, body.usage.completion_tokens);
  });

  it('a client that disconnects mid-stream frees every block on the prefill and the decode instance', async () => {
    const controller = new AbortController();
    const res = await post(
      serve.url,
      '/v1/completions',
      { prompt: longPrompt(260, 5), max_tokens: 250, ignore_eos: true, stream: true },
      { signal: controller.signal },
    );
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = '';
    while ((seen.match(/data: /g) ?? []).length < 3)
      seen += new TextDecoder().decode((await reader.read()).value);
    await waitUntil(
      async () =>
        (await instancesOf(serve.url)).some((i) => i.role === 'decode' && i.numFreeBlocks < i.numBlocks),
      10_000,
      'the decode instance to hold the request',
    );
    const abortedAt = Date.now();
    controller.abort();
    await waitUntil(
      async () => {
        const all = await instancesOf(serve.url);
        return (
          all.length === 2 &&
          all.every((i) => i.timestampMs > abortedAt && i.numRunning === 0 && i.numFreeBlocks === i.numBlocks)
        );
      },
      10_000,
      'every block free on both instances',
    );
    assert.ok(
      Date.now() - abortedAt < (250 * STEP_DELAY_MS) / 2,
      'freed long before the request would have ended',
    );
  });
});
