import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RequestOutput } from '@pdserve/engine';
import type { LocalBackend } from './local-backend.js';
import type { GenerateRequest, ServingBackend } from './serving-backend.js';
import { type RunningGateway, startGateway } from './start-gateway.js';
import { engineIdle, loadTestBackend, MODEL_NAME, waitFor } from './test-support.js';

/** Test double around the real LocalBackend: records each request's signal and last output. */
class WatchedBackend implements ServingBackend {
  readonly seen: { req: GenerateRequest; signal: AbortSignal; last: RequestOutput | null }[] = [];
  constructor(readonly inner: LocalBackend) {}
  models() {
    return this.inner.models();
  }
  async *generate(req: GenerateRequest, signal: AbortSignal): AsyncGenerator<RequestOutput> {
    const entry = { req, signal, last: null as RequestOutput | null };
    this.seen.push(entry);
    for await (const out of this.inner.generate(req, signal)) {
      entry.last = out;
      yield out;
    }
  }
  health() {
    return this.inner.health();
  }
}

// The real model, paced at 4 ms a step so 400 tokens take well over a second.
const local = loadTestBackend({ stepDelayMs: 4 });
const backend = new WatchedBackend(local);
let gateway: RunningGateway;
before(async () => {
  gateway = await startGateway({ backend, port: 0, host: '127.0.0.1' });
});
after(async () => {
  await gateway.close();
  local.close();
});

const LONG = { model: MODEL_NAME, prompt: 'Lily and Tom', max_tokens: 400, ignore_eos: true, n: 2 };

async function assertAbortedAndFreed(): Promise<void> {
  await waitFor(() => engineIdle(local), 5000, 'every KV block to be free');
  const entry = backend.seen.at(-1)!;
  assert.equal(entry.signal.aborted, true, 'the backend signal was aborted');
  const tokens = local.llm.engineCore.kvCacheManager;
  assert.equal(tokens.numFreeBlocks, local.executor.numBlocks);
  assert.ok(
    entry.last === null ||
      entry.last.outputs.every((o) => o.finishReason === null || o.finishReason === 'abort'),
    'the request did not run to its end',
  );
}

test('a client that disconnects mid-stream aborts the request and frees every block', async () => {
  const controller = new AbortController();
  const res = await fetch(`${gateway.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...LONG, stream: true }),
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /^data: /);
  assert.ok(local.llm.engineCore.hasUnfinishedRequests(), 'still generating when the client leaves');
  assert.ok(local.llm.engineCore.kvCacheManager.numFreeBlocks < local.executor.numBlocks);
  controller.abort();
  await assertAbortedAndFreed();
});

test('a client that disconnects while waiting for a whole response aborts it too', async () => {
  const controller = new AbortController();
  const pending = fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...LONG, prompt: undefined, messages: [{ role: 'user', content: 'Hi' }] }),
    signal: controller.signal,
  });
  pending.catch(() => {});
  await waitFor(() => local.llm.engineCore.hasUnfinishedRequests(), 5000, 'the request to start');
  await new Promise((r) => setTimeout(r, 50));
  controller.abort();
  await assert.rejects(pending);
  await assertAbortedAndFreed();
});

test('the server keeps serving after disconnects', async () => {
  const res = await fetch(`${gateway.url}/v1/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: MODEL_NAME, prompt: 'The cat', max_tokens: 5, temperature: 0 }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { usage: { completion_tokens: number } };
  assert.equal(body.usage.completion_tokens, 5);
  assert.ok(engineIdle(local));
});
