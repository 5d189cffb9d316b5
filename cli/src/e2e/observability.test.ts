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
import {
  BLOCK_SIZE,
  checkGateway,
  checkTraceShape,
  checkTransfer,
  one,
  PROMPT_TOKENS,
  type Usage,
} from './observability-checks.js';
import { OtlpReceiver, type ReceivedSpan, renderTraceTree } from './otlp-receiver.js';
import { renderDashboard } from './status-page-browser.js';

/** Where tests leave what a person looks at (the trace tree, the status page's screenshot). */
export const OUTPUT_DIR = path.resolve(
  process.env.PDSERVE_TEST_OUTPUT ?? fileURLToPath(new URL('../../../test-output', import.meta.url)),
  'observability',
);

/** Text no log line may contain (prompts are logged only with --log-prompts). */
const SECRET = 'The lighthouse keeper counted seven ships';

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
      sumSamples(agent, 'pdserve:kv_transfer_bytes_total', { transport: 'ucx' }),
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
