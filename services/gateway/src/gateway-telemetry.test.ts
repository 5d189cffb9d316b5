import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR, parsePrometheusText, ServiceTelemetry, SPAN, sumSamples } from '@pdserve/telemetry';
import { createGatewayApp } from './create-gateway-app.js';
import { GatewayTelemetry } from './gateway-telemetry.js';
import { loadTestBackend, MODEL_NAME, parseSse, post } from './test-support.js';

const backend = loadTestBackend();
after(() => backend.close());

/** The app with telemetry in process: its log lines and its spans in memory. */
function setup(logPrompts = false) {
  const exporter = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  const service = ServiceTelemetry.create({
    service: 'gateway',
    instanceId: 'gateway-test',
    env: {},
    logPrompts,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    logDestination: { write: (l: string) => void lines.push(JSON.parse(l)) },
  });
  const telemetry = new GatewayTelemetry(service, { defaultSlo: { ttftMs: 60_000 } });
  const app = createGatewayApp({ backend, telemetry });
  return { app, exporter, lines };
}

test('a request is one root span with its X-Request-Id, parse span and one log line; /metrics counts it', async () => {
  const { app, exporter, lines } = setup();
  const res = await post(
    app,
    '/v1/completions',
    { model: MODEL_NAME, prompt: 'Hello', max_tokens: 4 },
    {
      'x-request-id': 'gw-1',
    },
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-request-id'), 'gw-1');
  const body = (await res.json()) as { usage: { completion_tokens: number; prompt_tokens: number } };
  const spans = exporter.getFinishedSpans();
  const root = spans.find((s) => s.name === 'POST /v1/completions');
  assert.equal(root?.attributes[ATTR.requestId], 'gw-1');
  assert.equal(root?.attributes[ATTR.completionTokens], body.usage.completion_tokens);
  assert.equal(
    spans.find((s) => s.name === SPAN.gatewayParse)?.parentSpanContext?.spanId,
    root?.spanContext().spanId,
  );
  const line = lines.find((l) => l.msg === 'request finished');
  assert.equal(line?.requestId, 'gw-1');
  assert.equal(line?.traceId, root?.spanContext().traceId);
  assert.ok(!JSON.stringify(lines).includes('Hello'), 'no prompt text in the logs');
  const metrics = parsePrometheusText(await (await app.request('/metrics')).text());
  assert.equal(sumSamples(metrics, 'vllm:e2e_request_latency_seconds_count', { model_name: MODEL_NAME }), 1);
  assert.equal(sumSamples(metrics, 'vllm:generation_tokens_total'), body.usage.completion_tokens);
  assert.equal(sumSamples(metrics, 'pdserve:slo_met_total', { slo_class: 'ttft=60000ms' }), 1);
  assert.equal(sumSamples(metrics, 'pdserve_gateway_requests_total', { route: '/v1/completions' }), 1);
});

test('--log-prompts writes the prompt text into the log', async () => {
  const { app, lines } = setup(true);
  const res = await post(app, '/v1/completions', { model: MODEL_NAME, prompt: 'Hello there', max_tokens: 2 });
  assert.equal(res.status, 200);
  const prompt = lines.find((l) => l.msg === 'prompt');
  assert.match(String(prompt?.prompt), /Hello there/);
  assert.equal(typeof prompt?.requestId, 'string');
});

test('a streamed request ends its span when the stream ends; /dashboard serves the page and its data', async () => {
  const { app, exporter } = setup();
  const res = await post(app, '/v1/completions', {
    model: MODEL_NAME,
    prompt: 'Once',
    max_tokens: 3,
    stream: true,
  });
  assert.equal(
    exporter.getFinishedSpans().filter((s) => s.name.startsWith('POST')).length,
    0,
    'open while streaming',
  );
  parseSse(await res.text());
  assert.equal(exporter.getFinishedSpans().filter((s) => s.name.startsWith('POST')).length, 1);
  const page = await app.request('/dashboard');
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await page.text(), /<script src="\/dashboard\/app.js">/);
  assert.equal((await app.request('/dashboard/app.js')).status, 200);
  const data = (await (await app.request('/dashboard/data')).json()) as {
    healthy: boolean;
    requests: { status: string; completionTokens: number; segments: { phase: string }[] }[];
  };
  assert.equal(data.healthy, true);
  assert.equal(data.requests.length, 1);
  assert.equal(data.requests[0].status, 'ok');
  assert.equal(data.requests[0].completionTokens, 3);
  assert.equal(data.requests[0].segments[0].phase, 'gateway');
});
