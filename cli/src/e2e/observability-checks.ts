import assert from 'node:assert/strict';
import { ATTR, type parsePrometheusText, SPAN, sumSamples } from '@pdserve/telemetry';
import { type ReceivedSpan, renderTraceTree } from './otlp-receiver.js';

/** The prompt of the traced request and the engine's block size. */
export const PROMPT_TOKENS = 300;
export const BLOCK_SIZE = 16;

export type Usage = { prompt_tokens: number; completion_tokens: number };

/** The one span named `name` (matching `where`) in a trace. */
export const one = (
  spans: ReceivedSpan[],
  name: string,
  where: (s: ReceivedSpan) => boolean = () => true,
) => {
  const found = spans.filter((s) => s.name === name && where(s));
  assert.equal(found.length, 1, `one ${name} span (got ${found.length}):\n${renderTraceTree(spans)}`);
  return found[0];
};

/** One trace, every service in it, each main span a child of the right caller, started in order. */
export function checkTraceShape(spans: ReceivedSpan[], usage: Usage): void {
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
  assert.deepEqual(prefill.events, ['first_scheduled', 'first_token']);
  assert.ok(decode.events.includes('first_scheduled') && decode.events.includes('first_token'));
  assert.equal(decode.attributes[ATTR.completionTokens], usage.completion_tokens);
  assert.equal(decode.attributes[ATTR.finishReason], 'length');
  assert.ok(spans.every((s) => s.endMs >= s.startMs));
}

/** The transfer span: every block of the prompt moved once, bytes = blocks x the pool's block size. */
export function checkTransfer(kv: ReceivedSpan, blockBytes: number): void {
  const blocks = Math.ceil(PROMPT_TOKENS / BLOCK_SIZE);
  assert.equal(kv.attributes[ATTR.kvTransport], 'ucx', 'the agent moves blocks over UCX by default');
  assert.equal(kv.attributes[ATTR.kvOutcome], 'sent');
  assert.equal(kv.attributes[ATTR.kvRetries], 0);
  assert.equal(kv.attributes[ATTR.kvBlocks], blocks);
  assert.equal(kv.attributes[ATTR.kvBlockBytes], blockBytes);
  assert.equal(kv.attributes[ATTR.kvBytes], blocks * blockBytes);
}

/** The gateway's request histograms count the requests, and its token counters equal the usage. */
export function checkGateway(families: ReturnType<typeof parsePrometheusText>, usages: Usage[]): void {
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
