import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createModelEngine } from '@pdserve/engine';
import { loadModel } from '@pdserve/model';
import { ATTR, checkHistograms, parsePrometheusText, SPAN, sumSamples } from '@pdserve/telemetry';
import {
  MODEL_PATH,
  parseSse,
  post,
  recentLogs,
  type ServeProcess,
  startServe,
  waitUntil,
} from './e2e-support.js';
import { OtlpReceiver, type ReceivedSpan, renderTraceTree } from './otlp-receiver.js';
import { renderDashboard } from './status-page-browser.js';

/** Where tests leave what a person looks at (the trace tree, the status page's screenshot). */
export const OUTPUT_DIR = path.resolve(
  process.env.PDSERVE_TEST_OUTPUT ?? fileURLToPath(new URL('../../../test-output', import.meta.url)),
  'observability',
);

const PROMPT_TOKENS = 300;
const BLOCK_SIZE = 16;
/** Text no log line may contain (prompts are logged only with --log-prompts). */
const SECRET = 'The lighthouse keeper counted seven ships';

type Usage = { prompt_tokens: number; completion_tokens: number };
type Completion = { usage: Usage; choices: { finish_reason: string }[] };

/** Bytes of one KV block of the model, read from an engine's own pool (not from telemetry). */
function kvBlockBytes(): number {
  const engine = createModelEngine(loadModel(MODEL_PATH), { numBlocks: 1 });
  try {
    return engine.runner.kvPool.blockBytes;
  } finally {
    engine.close();
  }
}

const one = (spans: ReceivedSpan[], name: string, where: (s: ReceivedSpan) => boolean = () => true) => {
  const found = spans.filter((s) => s.name === name && where(s));
  assert.equal(found.length, 1, `one ${name} span (got ${found.length}):\n${renderTraceTree(spans)}`);
  return found[0];
};

/**
 * Observability end to end: `pdserve serve` (1 prefill + 1 decode + the kv-connector agent, router
 * and gateway as real processes) exports OTLP/HTTP JSON to a receiver in this test; a long prompt
 * (disaggregated) must yield one trace over every service; each service's /metrics must parse and
 * count the requests made; the status page must show the cluster and the request in Chromium.
 */
describe('observability: traces, /metrics and the status page of a 1P1D cluster', () => {
  let otlp: OtlpReceiver;
  let serve: ServeProcess;
  let metricsUrls: Map<string, string>;
  const usages: Usage[] = [];

  before(async () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    otlp = await OtlpReceiver.start();
    serve = await startServe(['--prefill', '1', '--decode', '1', '--num-blocks', '64'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      PDSERVE_DISCOVERY_HEARTBEAT_MS: '100',
    });
    let line: string | undefined;
    await waitUntil(
      async () => {
        line = recentLogs(400)
          .split('\n')
          .find((l) => l.includes('Metrics: '));
        return line !== undefined;
      },
      5000,
      'the banner listing the /metrics URLs',
    );
    const pairs = line!
      .slice(line!.indexOf('Metrics: ') + 9)
      .trim()
      .split(' ');
    metricsUrls = new Map(pairs.map((p) => p.split('=', 2) as [string, string]));
  });
  after(async () => {
    const exit = await serve?.stop();
    await otlp?.close();
    assert.equal(exit?.code, 0, recentLogs());
  });

  it('a disaggregated request is one trace: gateway -> router -> prefill -> kv transfer -> decode', async () => {
    const prompt = [1, ...Array.from({ length: PROMPT_TOKENS - 1 }, (_, i) => ((i * 11) % 400) + 30)];
    const res = await post(
      serve.url,
      '/v1/completions',
      { prompt, max_tokens: 8, temperature: 0, ignore_eos: true },
      {
        headers: { 'content-type': 'application/json', 'x-request-id': 'obs-trace-1' },
      },
    );
    const body = (await res.json()) as Completion;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(res.headers.get('x-request-id'), 'obs-trace-1');
    usages.push(body.usage);
    let spans: ReceivedSpan[] = [];
    await waitUntil(
      async () => {
        const root = otlp.spans.find(
          (s) => s.attributes[ATTR.requestId] === 'obs-trace-1' && s.parentSpanId === '',
        );
        spans = root === undefined ? [] : otlp.trace(root.traceId);
        return ['decode', SPAN.kvTransfer, SPAN.prefill, SPAN.routerRoute].every((n) =>
          spans.some((s) => s.name === n),
        );
      },
      10_000,
      'the spans of every service',
    );
    const tree = renderTraceTree(spans, [
      ATTR.requestId,
      ATTR.routeMode,
      ATTR.predictedTtftMs,
      ATTR.predictedTpotMs,
      ATTR.chunkTokens,
      ATTR.kvTransport,
      ATTR.kvBlocks,
      ATTR.kvBytes,
      ATTR.kvRetries,
      ATTR.completionTokens,
      ATTR.finishReason,
    ]);
    writeFileSync(path.join(OUTPUT_DIR, 'trace.txt'), `${tree}\n`);
    checkTraceShape(spans, body.usage);
    checkTransfer(one(spans, SPAN.kvTransfer), kvBlockBytes());
    const logLine = recentLogs(400)
      .split('\n')
      .find((l) => l.includes('"requestId":"obs-trace-1"'));
    assert.ok(
      logLine?.includes(`"traceId":"${spans[0].traceId}"`),
      `a gateway log line links request and trace: ${logLine}`,
    );
  });

  it('/metrics of every service parses and counts the requests made', async () => {
    const short = await post(serve.url, '/v1/completions', {
      prompt: SECRET,
      max_tokens: 6,
      temperature: 0,
      ignore_eos: true,
    });
    usages.push(((await short.json()) as Completion).usage);
    const streamed = await post(serve.url, '/v1/completions', {
      prompt: `${SECRET}, and then`,
      max_tokens: 5,
      temperature: 0,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = parseSse(await streamed.text());
    usages.push((events.at(-1) as { usage: Usage }).usage);
    assert.deepEqual([...metricsUrls.keys()].sort(), [
      'decode-0',
      'gateway',
      'kv-agent',
      'prefill-0',
      'router',
    ]);
    const scrape = async (name: string) => {
      const families = parsePrometheusText(await (await fetch(metricsUrls.get(name)!)).text());
      checkHistograms(families);
      return families;
    };
    checkGateway(await scrape('gateway'), usages);
    const router = await scrape('router');
    assert.equal(sumSamples(router, 'pdserve:router_decisions_total'), 3);
    assert.equal(sumSamples(router, 'pdserve:router_decisions_total', { option: 'disaggregated' }), 1);
    const prefill = await scrape('prefill-0');
    assert.equal(sumSamples(prefill, 'vllm:request_prefill_time_seconds_count'), 1);
    assert.equal(sumSamples(prefill, 'vllm:request_queue_time_seconds_count'), 1);
    assert.ok(sumSamples(prefill, 'vllm:prefix_cache_queries_total') >= PROMPT_TOKENS);
    const decode = await scrape('decode-0');
    assert.equal(
      sumSamples(decode, 'vllm:request_decode_time_seconds_count'),
      3,
      'every request decoded on D',
    );
    assert.equal(
      sumSamples(decode, 'vllm:request_prefill_time_seconds_count'),
      2,
      'the short ones colocated',
    );
    const running = decode.get('vllm:num_requests_running')?.samples ?? [];
    assert.deepEqual(
      running.map((s) => [s.labels.model_name, s.labels.instance_id, s.value]),
      [['stories260K', 'decode-0', 0]],
    );
    const agent = await scrape('kv-agent');
    const blocks = Math.ceil(PROMPT_TOKENS / BLOCK_SIZE);
    assert.equal(
      sumSamples(agent, 'pdserve:kv_transfer_bytes_total', { transport: 'nats' }),
      blocks * kvBlockBytes(),
    );
    assert.equal(sumSamples(agent, 'pdserve:kv_transfer_duration_seconds_count'), 1);
    assert.equal(sumSamples(agent, 'pdserve:kv_transfer_failures_total'), 0);
    assert.ok(!recentLogs(2000).includes(SECRET), 'no prompt text in the logs without --log-prompts');
  });

  it('the status page shows the cluster and the finished request in Chromium', async (t) => {
    const shot = path.join(OUTPUT_DIR, 'dashboard.png');
    const skipped = await renderDashboard(serve.url, 'obs-trace-1', shot);
    if (skipped !== null) {
      t.diagnostic(skipped);
      t.skip(skipped);
      return;
    }
    t.diagnostic(`status page screenshot: ${shot}`);
  });
});

/** One trace, every service in it, each main span a child of the right caller, started in order. */
function checkTraceShape(spans: ReceivedSpan[], usage: Usage): void {
  assert.equal(new Set(spans.map((s) => s.traceId)).size, 1);
  const ids = new Set(spans.map((s) => s.spanId));
  const roots = spans.filter((s) => !ids.has(s.parentSpanId));
  assert.equal(roots.length, 1, `one root:\n${renderTraceTree(spans)}`);
  const root = roots[0];
  assert.equal(root.attributes[ATTR.requestId], 'obs-trace-1');
  assert.deepEqual([...new Set(spans.map((s) => s.service))].sort(), [
    'pdserve-decode',
    'pdserve-gateway',
    'pdserve-kv-connector',
    'pdserve-prefill',
    'pdserve-router',
  ]);
  const route = one(spans, SPAN.gatewayRoute);
  const router = one(spans, SPAN.routerRoute);
  const submitP = one(spans, SPAN.gatewaySubmit, (s) => s.attributes[ATTR.task] === 'prefill');
  const submitD = one(spans, SPAN.gatewaySubmit, (s) => s.attributes[ATTR.task] === 'decode');
  const prefill = one(spans, SPAN.prefill);
  const kv = one(spans, SPAN.kvTransfer);
  const decode = one(spans, SPAN.decode);
  assert.equal(router.parentSpanId, route.spanId);
  assert.equal(prefill.parentSpanId, submitP.spanId);
  assert.equal(kv.parentSpanId, prefill.spanId);
  assert.equal(decode.parentSpanId, submitD.spanId);
  assert.equal(one(spans, SPAN.decodeReserve).parentSpanId, submitD.spanId);
  const order = [root, router, prefill, kv, decode].map((s) => s.startMs);
  assert.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
    `services in order:\n${renderTraceTree(spans)}`,
  );
  assert.equal(router.attributes[ATTR.routeMode], 'disaggregated');
  assert.equal(typeof router.attributes[ATTR.predictedTtftMs], 'number');
  assert.equal(typeof router.attributes[ATTR.predictedTpotMs], 'number');
  assert.ok(spans.some((s) => s.name === SPAN.prefillQueue && s.parentSpanId === prefill.spanId));
  const chunks = spans.filter((s) => s.name === SPAN.prefillChunk && s.parentSpanId === prefill.spanId);
  const computed = chunks.reduce((n, s) => n + Number(s.attributes[ATTR.chunkTokens]), 0);
  assert.equal(computed + Number(prefill.attributes[ATTR.cachedTokens]), PROMPT_TOKENS);
  assert.ok(prefill.events.includes('first_token'));
  assert.equal(decode.attributes[ATTR.completionTokens], usage.completion_tokens);
  assert.equal(decode.attributes[ATTR.finishReason], 'length');
  assert.ok(spans.every((s) => s.endMs >= s.startMs));
}

/** The transfer span: every block of the prompt moved once, bytes = blocks x the pool's block size. */
function checkTransfer(kv: ReceivedSpan, blockBytes: number): void {
  const blocks = Math.ceil(PROMPT_TOKENS / BLOCK_SIZE);
  assert.equal(kv.attributes[ATTR.kvTransport], 'nats');
  assert.equal(kv.attributes[ATTR.kvOutcome], 'sent');
  assert.equal(kv.attributes[ATTR.kvRetries], 0);
  assert.equal(kv.attributes[ATTR.kvBlocks], blocks);
  assert.equal(kv.attributes[ATTR.kvBlockBytes], blockBytes);
  assert.equal(kv.attributes[ATTR.kvBytes], blocks * blockBytes);
}

/** The gateway's request histograms count the requests, and its token counters equal the usage. */
function checkGateway(families: ReturnType<typeof parsePrometheusText>, usages: Usage[]): void {
  const n = usages.length;
  const completion = usages.reduce((a, u) => a + u.completion_tokens, 0);
  assert.equal(sumSamples(families, 'vllm:e2e_request_latency_seconds_count'), n);
  assert.equal(sumSamples(families, 'vllm:time_to_first_token_seconds_count'), n);
  assert.equal(sumSamples(families, 'vllm:request_time_per_output_token_seconds_count'), n);
  assert.equal(sumSamples(families, 'vllm:inter_token_latency_seconds_count'), completion - n);
  assert.equal(sumSamples(families, 'vllm:generation_tokens_total'), completion);
  assert.equal(
    sumSamples(families, 'vllm:prompt_tokens_total'),
    usages.reduce((a, u) => a + u.prompt_tokens, 0),
  );
  assert.equal(sumSamples(families, 'vllm:request_success_total', { finished_reason: 'length' }), n);
  const ttft = families.get('vllm:time_to_first_token_seconds');
  assert.equal(ttft?.type, 'histogram');
  for (const s of ttft?.samples ?? []) {
    assert.equal(s.labels.model_name, 'stories260K');
    assert.match(s.labels.instance_id ?? '', /^gateway-/);
  }
}
