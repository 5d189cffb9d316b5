import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type InstanceHealth,
  instancesOf,
  post,
  recentLogs,
  type ServeProcess,
  startServe,
  waitUntil,
} from './e2e-support.js';

const STEP_DELAY_MS = 20;
const MAX_TOKENS = 300;

/** Every instance reported a heartbeat after `sinceMs` with nothing running and every block free. */
function allFreeSince(instances: InstanceHealth[], sinceMs: number): boolean {
  return (
    instances.length > 0 &&
    instances.every(
      (i) =>
        i.timestampMs > sinceMs &&
        i.numRunning === 0 &&
        i.numWaiting === 0 &&
        i.numFreeBlocks === i.numBlocks,
    )
  );
}

/** Some instance holds blocks for a running request. */
function someBusy(instances: InstanceHealth[]): boolean {
  return instances.some((i) => i.numRunning > 0 && i.numFreeBlocks < i.numBlocks);
}

/**
 * Client disconnects over the real stack: the gateway publishes Cancel, the engine aborts the
 * request and frees its blocks at once. Engines sleep STEP_DELAY_MS per step, so a request runs for
 * seconds, and heartbeat every 100 ms, so the gateway's /health shows their free-block counts.
 */
describe('pdserve serve: cancellation frees every block (colocated instances)', () => {
  let serve: ServeProcess;

  before(async () => {
    serve = await startServe(['--prefill', '0', '--decode', '2', '--num-blocks', '64'], {
      PDSERVE_DEBUG_STEP_DELAY_MS: String(STEP_DELAY_MS),
      PDSERVE_DISCOVERY_HEARTBEAT_MS: '100',
    });
  });
  after(async () => {
    const exit = await serve?.stop();
    assert.equal(exit?.code, 0, recentLogs());
  });

  it("runs colocated instances in role 'both'", async () => {
    assert.deepEqual(
      (await instancesOf(serve.url)).map((i) => i.role),
      ['both', 'both'],
    );
  });

  it('a stream whose client goes away mid-generation frees its blocks on every instance', async () => {
    const controller = new AbortController();
    const res = await post(
      serve.url,
      '/v1/completions',
      { prompt: 'Once upon a time', max_tokens: MAX_TOKENS, ignore_eos: true, stream: true },
      { signal: controller.signal },
    );
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = '';
    while ((seen.match(/data: /g) ?? []).length < 3)
      seen += new TextDecoder().decode((await reader.read()).value);
    await waitUntil(
      async () => someBusy(await instancesOf(serve.url)),
      10_000,
      'a heartbeat showing the request',
    );
    const abortedAt = Date.now();
    controller.abort();
    await waitUntil(
      async () => allFreeSince(await instancesOf(serve.url), abortedAt),
      10_000,
      'every block free',
    );
    const elapsed = Date.now() - abortedAt;
    assert.ok(
      elapsed < (MAX_TOKENS * STEP_DELAY_MS) / 2,
      `freed ${elapsed} ms after the abort, long before the end`,
    );
  });

  it('a non-streaming request whose client goes away frees its blocks too', async () => {
    const controller = new AbortController();
    const pending = post(
      serve.url,
      '/v1/completions',
      { prompt: 'Lily and Tom', max_tokens: MAX_TOKENS, ignore_eos: true },
      { signal: controller.signal },
    ).catch((error: Error) => error);
    await waitUntil(
      async () => someBusy(await instancesOf(serve.url)),
      10_000,
      'a heartbeat showing the request',
    );
    const abortedAt = Date.now();
    controller.abort();
    assert.ok((await pending) instanceof Error, 'the client saw its own abort');
    await waitUntil(
      async () => allFreeSince(await instancesOf(serve.url), abortedAt),
      10_000,
      'every block free',
    );
  });

  it('cancelling one request leaves a concurrent one intact', async () => {
    const controller = new AbortController();
    const doomed = post(
      serve.url,
      '/v1/completions',
      { prompt: 'The dog', max_tokens: MAX_TOKENS, ignore_eos: true },
      { signal: controller.signal },
    ).catch((error: Error) => error);
    const survivor = post(serve.url, '/v1/completions', {
      prompt: 'The cat',
      max_tokens: 20,
      ignore_eos: true,
    });
    await waitUntil(
      async () => someBusy(await instancesOf(serve.url)),
      10_000,
      'a heartbeat showing the requests',
    );
    controller.abort();
    await doomed;
    const body = (await (await survivor).json()) as { usage: { completion_tokens: number } };
    assert.equal(body.usage.completion_tokens, 20);
    const doneAt = Date.now();
    await waitUntil(
      async () => allFreeSince(await instancesOf(serve.url), doneAt),
      10_000,
      'every block free',
    );
  });
});
