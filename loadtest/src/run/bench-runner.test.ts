import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClientOptions } from '../client/client-options.js';
import type { BenchRequest } from '../datasets/bench-request.js';
import { benchSummary } from '../metrics/bench-summary.js';
import type { RequestResult } from '../metrics/request-result.js';
import { FakeOpenAiServer, type FakeReply, type FakeRequest } from '../testing/fake-openai-server.js';
import { runBench } from './bench-runner.js';

// The machine is shared and noisy: lower bounds are tight (a chunk cannot arrive before the
// fake server sends it, up to 2 ms of timer rounding), upper bounds generous.
const EARLY = 2;

const stream = (over: Partial<Extract<FakeReply, { kind: 'stream' }>> = {}): FakeReply => ({
  kind: 'stream',
  firstTokenMs: 50,
  intervalMs: 10,
  tokens: 20,
  ...over,
});

function client(baseUrl: string, over: Partial<ClientOptions> = {}): ClientOptions {
  return {
    baseUrl,
    model: 'fake',
    endpoint: '/v1/completions',
    headers: {},
    ignoreEos: true,
    setMinTokens: false,
    temperature: 0,
    continuousUsage: false,
    ...over,
  };
}

const requests = (n: number, outputLen = 20): BenchRequest[] =>
  Array.from({ length: n }, (_, i) => ({ prompt: `hello ${i}`, promptLen: 2, outputLen, tag: 'random' }));

/** The chunks' cumulative token counts are among the script's (reads may merge chunks, never split them). */
function assertMergedFrom(r: RequestResult, script: number[]): void {
  const cumulative = (ks: number[]) => ks.map((_, i) => ks.slice(0, i + 1).reduce((a, b) => a + b, 0));
  const allowed = new Set(cumulative(script));
  const got = cumulative(r.chunks.map((c) => c.tokens));
  assert.ok(
    got.every((v) => allowed.has(v)),
    `chunks ${JSON.stringify(r.chunks)}`,
  );
  assert.equal(got[got.length - 1], cumulative(script)[script.length - 1]);
}

/** The ITLs are exactly the chunks' gaps split over their tokens, zeros for the first chunk's extra tokens. */
function assertItlsFromChunks(r: RequestResult): void {
  const expected: number[] = new Array(r.chunks[0].tokens - 1).fill(0);
  for (let i = 1; i < r.chunks.length; i++) {
    const c = r.chunks[i];
    for (let k = 0; k < c.tokens; k++) expected.push((c.atMs - r.chunks[i - 1].atMs) / c.tokens);
  }
  assert.deepEqual(r.itlsMs, expected);
}

async function withServer<T>(script: (r: FakeRequest) => FakeReply, fn: (s: FakeOpenAiServer) => Promise<T>) {
  const server = await FakeOpenAiServer.start(script);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

function run(baseUrl: string, n: number, over: Partial<Parameters<typeof runBench>[0]> = {}) {
  return runBench({
    client: client(baseUrl),
    requests: requests(n),
    schedule: new Array(n).fill(0),
    warmups: [],
    maxConcurrency: null,
    durationLimitS: 20,
    ...over,
  });
}

describe('scripted stream: first token after 50 ms, then one token every 10 ms, 20 tokens', () => {
  let server: FakeOpenAiServer;
  let rec: Awaited<ReturnType<typeof runBench>>;
  before(async () => {
    server = await FakeOpenAiServer.start(() => stream());
    rec = await run(server.baseUrl, 5);
  });
  after(() => server.close());

  test('every request completes with the server-reported 20 tokens and 19 ITLs', () => {
    assert.equal(rec.results.length, 5);
    for (const r of rec.results) {
      assert.equal(r.outcome, 'ok');
      assert.equal(r.outputTokens, 20);
      assert.equal(r.outputTokensSource, 'usage');
      assert.equal(r.itlsMs.length, 19);
    }
  });

  test('TTFT, TPOT, ITL and E2E match the script', () => {
    for (const r of rec.results) {
      // Nothing can arrive before the script sends it (measured from the client's send); the
      // upper bounds leave room for a loaded machine.
      assert.ok(r.ttftMs! >= 50 - EARLY && r.ttftMs! < 50 + 400, `ttft ${r.ttftMs}`);
      assert.ok(r.e2eMs! >= 240 - EARLY && r.e2eMs! < 240 + 400, `e2e ${r.e2eMs}`);
      // Exact: TPOT is (e2e - ttft) / (tokens - 1); ITLs add up to the first-to-last chunk span,
      // and the last chunk cannot come before 240 ms after the send.
      assert.ok(Math.abs(r.tpotMs! - (r.e2eMs! - r.ttftMs!) / 19) < 1e-9);
      const span = r.itlsMs.reduce((s, v) => s + v, 0);
      assert.ok(span <= r.e2eMs! - r.ttftMs! + 1e-9, `itl span ${span}`);
      assert.ok(r.ttftMs! + span >= 240 - EARLY, `last chunk at ${r.ttftMs! + span}`);
    }
    const tpots = rec.results.map((r) => r.tpotMs!).sort((a, b) => a - b);
    assert.ok(tpots[2] > 10 - 4 && tpots[2] < 10 + 8, `median tpot ${tpots[2]}`);
  });

  test("every chunk is timed when it arrived: against the fake server's log of its writes", () => {
    const lags: number[] = [];
    for (const r of rec.results) {
      const log = server.received.find((x) => x.body.prompt === `hello ${r.index}`)!;
      assert.equal(log.chunkAt.length, 20);
      // On the shared performance.now() clock, each chunk (one read, perhaps several writes
      // when the machine stalls) arrives after the server wrote its last token.
      let tokens = 0;
      for (const chunk of r.chunks) {
        tokens += chunk.tokens;
        const written = log.chunkAt[tokens - 1];
        assert.ok(
          rec.clockOriginMs + chunk.atMs >= written - 0.01,
          `a chunk read before its token ${tokens - 1} was written`,
        );
        lags.push(rec.clockOriginMs + chunk.atMs - written);
      }
      assert.equal(tokens, 20);
      assert.ok(rec.clockOriginMs + r.sentMs <= log.arrivedAt, 'sent before the server got it');
      const serverTpot = (log.chunkAt[19] - log.chunkAt[0]) / 19;
      assert.ok(Math.abs(r.tpotMs! - serverTpot) < 8, `tpot ${r.tpotMs} vs ${serverTpot}`);
    }
    lags.sort((a, b) => a - b);
    assert.ok(lags[Math.floor(lags.length / 2)] < 20, `median lag ${lags[Math.floor(lags.length / 2)]} ms`);
  });

  test('goodput counts requests that meet every given target', () => {
    const sum = (t: Parameters<typeof benchSummary>[3]) =>
      benchSummary(rec.results, 0, rec.durationS, t, [50, 99]);
    assert.equal(sum({ ttftMs: 2000, tpotMs: 200, e2elMs: 5000 }).good, 5);
    assert.equal(sum({ ttftMs: 10 }).good, 0);
    assert.equal(sum({ tpotMs: 2 }).good, 0);
    assert.equal(sum({ e2elMs: 100 }).good, 0);
    assert.equal(sum({ ttftMs: 2000, e2elMs: 100 }).good, 0);
    const s = sum({ ttftMs: 2000 });
    assert.ok(Math.abs(s.requestGoodput! - 5 / rec.durationS) < 1e-9);
    assert.ok(rec.durationS > 0.24 - EARLY / 1000 && rec.durationS < 1.5, `duration ${rec.durationS}`);
    assert.equal(sum(null).requestGoodput, null);
    assert.equal(s.totalOutputTokens, 100);
    assert.equal(s.totalInputTokens, 5 * 7, 'input tokens from the usage');
  });
});

test('429 with Retry-After is counted as rejected, not timed; other errors as failed', async () => {
  const script = (r: FakeRequest): FakeReply => {
    if (r.index % 3 === 1) return { kind: 'reject', retryAfterS: 2 };
    if (r.index === 5) return { kind: 'error', status: 500, message: 'boom' };
    return stream({ firstTokenMs: 5, intervalMs: 2, tokens: 3 });
  };
  const rec = await withServer(script, (s) => run(s.baseUrl, 9, { maxConcurrency: 1 }));
  const s = benchSummary(rec.results, rec.notSent, rec.durationS, { ttftMs: 5000 }, [99]);
  assert.deepEqual([s.completed, s.rejected, s.failed], [5, 3, 1]);
  for (const r of rec.results.filter((x) => x.outcome === 'rejected')) {
    assert.equal(r.httpStatus, 429);
    assert.equal(r.retryAfterS, 2);
    assert.equal(r.ttftMs, null);
  }
  assert.match(rec.results[5].error!, /HTTP 500: boom/);
  assert.equal(s.ttft.count, 5);
  assert.equal(s.good, 5);
  assert.deepEqual(s.failureReasons, { 'HTTP 429': 3, 'HTTP 500': 1 });
});

test('multi-token chunks: each gap is split over the tokens of its chunk', async () => {
  // 12 tokens in chunks of 4, one chunk every 40 ms: ITLs of about 10 ms (a stalled machine may
  // merge chunks into one read: checked against the script only from the send on).
  const reply = stream({ firstTokenMs: 20, intervalMs: 40, tokens: 12, tokensPerChunk: 4 });
  const rec = await withServer(
    () => reply,
    (s) => run(s.baseUrl, 3),
  );
  for (const r of rec.results) {
    assert.equal(r.outputTokens, 12);
    assert.equal(r.itlsMs.length, 11);
    assertMergedFrom(r, [4, 4, 4]);
    assertItlsFromChunks(r);
    const span = r.chunks[r.chunks.length - 1].atMs - r.chunks[0].atMs;
    assert.ok(r.ttftMs! >= 20 - EARLY && r.ttftMs! + span >= 100 - EARLY, `ttft ${r.ttftMs} span ${span}`);
    assert.ok(Math.abs(r.tpotMs! - (r.e2eMs! - r.ttftMs!) / 11) < 1e-9);
  }
});

test('events that arrive in one read count as one chunk of several tokens', async () => {
  // As above, but each token is its own SSE event (a server flushing a batch at once).
  const reply = stream({
    firstTokenMs: 20,
    intervalMs: 40,
    tokens: 12,
    tokensPerChunk: 4,
    eventPerToken: true,
  });
  const rec = await withServer(
    () => reply,
    (s) => run(s.baseUrl, 3),
  );
  for (const r of rec.results) {
    assert.equal(r.outputTokens, 12);
    assertMergedFrom(r, [4, 4, 4]);
    assertItlsFromChunks(r);
    assert.deepEqual(r.itlsMs.slice(0, 3), [0, 0, 0], 'the first chunk brought 4 tokens at once');
    assert.ok(
      r.itlsMs.slice(3).every((v) => v > 0 || r.chunks.length < 3),
      'no zero gaps between reads',
    );
  }
});

test('continuous usage gives exact per-chunk token counts (4, 4, 2)', async () => {
  const reply = stream({
    firstTokenMs: 5,
    intervalMs: 20,
    tokens: 10,
    tokensPerChunk: 4,
    usage: 'continuous',
  });
  const rec = await withServer(
    () => reply,
    (s) => run(s.baseUrl, 2, { client: client(s.baseUrl, { continuousUsage: true }) }),
  );
  for (const r of rec.results) {
    assert.equal(r.outputTokens, 10);
    assert.equal(r.itlsMs.length, 9);
    assertMergedFrom(r, [4, 4, 2]);
    assertItlsFromChunks(r);
  }
});

test('without usage, output tokens are counted from SSE events', async () => {
  const rec = await withServer(
    () => stream({ firstTokenMs: 5, intervalMs: 5, tokens: 7, usage: 'none' }),
    (s) => run(s.baseUrl, 2),
  );
  for (const r of rec.results) {
    assert.equal(r.outputTokens, 7);
    assert.equal(r.outputTokensSource, 'events');
    assert.equal(r.promptLen, 2, 'input length falls back to the drawn length');
  }
});

test('chat endpoint: messages and max_completion_tokens sent, deltas measured', async () => {
  await withServer(
    () => stream({ firstTokenMs: 30, intervalMs: 5, tokens: 5 }),
    async (s) => {
      const rec = await run(s.baseUrl, 2, {
        client: client(s.baseUrl, { endpoint: '/v1/chat/completions', setMinTokens: true, apiKey: 'k1' }),
        requests: requests(2, 5),
      });
      assert.ok(
        rec.results.every((r) => r.outcome === 'ok' && r.outputTokens === 5 && r.ttftMs! >= 30 - EARLY),
      );
      const { body, headers, path } = s.received[0];
      assert.equal(path, '/v1/chat/completions');
      assert.deepEqual(body.messages, [{ role: 'user', content: 'hello 0' }]);
      assert.equal(body.max_completion_tokens, 5);
      assert.equal(body.max_tokens, 5);
      assert.equal(body.min_tokens, 5);
      assert.equal(body.ignore_eos, true);
      assert.equal(body.stream, true);
      assert.deepEqual(body.stream_options, { include_usage: true });
      assert.equal(headers.authorization, 'Bearer k1');
    },
  );
});

test('max concurrency bounds requests in flight; queued requests are sent later than scheduled', async () => {
  await withServer(
    () => stream({ firstTokenMs: 20, intervalMs: 5, tokens: 4 }),
    async (s) => {
      const rec = await run(s.baseUrl, 8, { maxConcurrency: 2 });
      assert.equal(s.maxInFlight, 2);
      assert.equal(rec.results.filter((r) => r.outcome === 'ok').length, 8);
      const last = rec.results[7];
      assert.ok(
        last.sentMs - last.scheduledMs >= 3 * 35 - EARLY,
        `queued ${last.sentMs - last.scheduledMs} ms`,
      );
    },
  );
});

test('warm-ups are sent first and not counted', async () => {
  await withServer(
    () => stream({ firstTokenMs: 5, intervalMs: 2, tokens: 3 }),
    async (s) => {
      const rec = await run(s.baseUrl, 4, { warmups: requests(3) });
      assert.equal(s.received.length, 7);
      assert.equal(rec.results.length, 4);
      assert.equal(rec.warmupsCompleted, 3);
    },
  );
});

test('the duration limit stops sending and aborts requests in flight', async () => {
  // Each stream would take 100 s; 10 requests at 10 req/s; limit 0.5 s.
  await withServer(
    () => stream({ firstTokenMs: 10, intervalMs: 100, tokens: 1000 }),
    async (s) => {
      const schedule = Array.from({ length: 10 }, (_, i) => i * 100);
      const t0 = performance.now();
      const rec = await run(s.baseUrl, 10, { schedule, durationLimitS: 0.5 });
      const took = performance.now() - t0;
      assert.ok(took >= 500 - EARLY && took < 2000, `took ${took} ms`);
      assert.equal(rec.hitDurationLimit, true);
      assert.ok(rec.results.length >= 3 && rec.results.length <= 6, `sent ${rec.results.length}`);
      assert.equal(rec.notSent, 10 - rec.results.length);
      for (const r of rec.results) {
        assert.equal(r.outcome, 'failed');
        assert.match(r.error!, /aborted: duration limit of 0.5 s reached/);
      }
      // A request aborted while still on its way may never reach the server.
      assert.ok(s.received.length >= rec.results.length - 1 && s.received.length <= rec.results.length);
      for (let i = 0; i < 50 && s.clientAborts < s.received.length; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(s.clientAborts, s.received.length, 'the server saw every in-flight request go away');
    },
  );
});
