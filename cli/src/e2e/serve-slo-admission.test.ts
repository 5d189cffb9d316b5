import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { instancesOf, post, recentLogs, type ServeProcess, startServe, waitUntil } from './e2e-support.js';

/**
 * Engines sleep this long per step and take 64 tokens per step: a 400-token prompt is 7 chunks,
 * ~175 ms. The sleep dominates the model's own time, so speeds vary little on a busy machine.
 */
const STEP_DELAY_MS = 25;
const TTFT_TARGET_MS = 800;
/**
 * Admitted requests' measured TTFT may pass the target by this much: the router plans to 80% of
 * it, and this covers what its model leaves out (HTTP and SSE on a shared 2-core machine).
 */
const TTFT_MARGIN_MS = 200;
const BURST = 16;
const LONG_PROMPT = 400;

/** A long token-id prompt (stories260K's vocabulary is 512); i < 70 gives a different first block. */
const prompt = (i: number) => Array.from({ length: LONG_PROMPT }, (_, k) => 3 + ((k * 31 + i * 7) % 500));

interface Outcome {
  status: number;
  retryAfter: string | null;
  ttftMs: number | null;
}

/** One streamed completion with SLO headers: its status, Retry-After and the time to its first token. */
async function send(base: string, i: number): Promise<Outcome> {
  const start = performance.now();
  const res = await post(
    base,
    '/v1/completions',
    { prompt: prompt(i), max_tokens: 4, ignore_eos: true, temperature: 0, stream: true },
    {
      headers: {
        'content-type': 'application/json',
        'x-slo-ttft-ms': String(TTFT_TARGET_MS),
        'x-slo-tpot-ms': '1000',
      },
    },
  );
  if (res.status !== 200) {
    await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), ttftMs: null };
  }
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  let ttftMs: number | null = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    if (ttftMs === null && /"text":"[^"]/.test(text)) ttftMs = performance.now() - start;
  }
  return { status: 200, retryAfter: null, ttftMs };
}

/**
 * Admission control over the real stack: one colocated instance, the SLO-aware router, a tight
 * TTFT target (header) and a burst of long prompts worth far more prefill time than the target.
 * The router must shed (429 with Retry-After) what it cannot serve in time rather than queue it
 * all, and every admitted request must see its first token within the target (plus the margin).
 */
describe('pdserve serve --policy slo: a burst of long prompts under a tight TTFT target', () => {
  let serve: ServeProcess;

  before(async () => {
    serve = await startServe(['--prefill', '0', '--decode', '1', '--num-blocks', '512', '--policy', 'slo'], {
      PDSERVE_DEBUG_STEP_DELAY_MS: String(STEP_DELAY_MS),
      PDSERVE_ENGINE_MAX_NUM_BATCHED_TOKENS: '64',
      PDSERVE_DISCOVERY_HEARTBEAT_MS: '100',
    });
  });
  after(async () => {
    const exit = await serve?.stop();
    assert.equal(exit?.code, 0, recentLogs());
  });

  it('sheds with 429 + Retry-After instead of letting admitted requests miss the TTFT target', async (t) => {
    // Two requests one after the other let the instance measure its prefill speed and decode steps.
    for (const i of [BURST, BURST + 1]) assert.equal((await send(serve.url, i)).status, 200, recentLogs());
    await waitUntil(
      async () => (await instancesOf(serve.url)).every((i) => i.prefillTokensPerS > 0 && i.numRunning === 0),
      10_000,
      'a heartbeat with the measured prefill speed',
    );
    const outcomes = await Promise.all(Array.from({ length: BURST }, (_, i) => send(serve.url, i)));
    const admitted = outcomes.filter((o) => o.status === 200);
    const rejected = outcomes.filter((o) => o.status === 429);
    const summary = JSON.stringify(
      outcomes.map((o) => (o.ttftMs === null ? o.status : Math.round(o.ttftMs))),
    );
    t.diagnostic(`TTFT ms of admitted requests, or the status: ${summary}`);
    assert.equal(admitted.length + rejected.length, BURST, summary);
    // 16 x 7 chunks of >= 25 ms each is about 3 s of prefill: not all fit in 800 ms.
    assert.ok(rejected.length > 0, `some rejected: ${summary}`);
    assert.ok(admitted.length > 0, `some admitted: ${summary}`);
    for (const r of rejected) assert.ok(Number(r.retryAfter) >= 1, `Retry-After: ${r.retryAfter}`);
    for (const a of admitted) {
      assert.ok(a.ttftMs !== null && a.ttftMs <= TTFT_TARGET_MS + TTFT_MARGIN_MS, `TTFTs: ${summary}`);
    }
  });
});
