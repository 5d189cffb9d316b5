import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { EngineMetrics, type EngineStatsLike } from './engine-metrics.js';
import { EngineRequestTelemetry, type EngineRequestView } from './engine-request-telemetry.js';
import { parsePrometheusText, sumSamples } from './prometheus-text.js';
import { ServiceTelemetry } from './service-telemetry.js';
import { ATTR, SPAN } from './span-attributes.js';
import { traceHeaders } from './trace-headers.js';

const STATS: EngineStatsLike = {
  numRunningReqs: 1,
  numWaitingReqs: 2,
  kvCacheUsage: 0.25,
  prefixCacheStats: { queries: 40, hits: 16 },
  numPreemptions: 3,
};
const step = { scheduleMs: 0.1, executeMs: 1, sampleMs: 0.1, updateMs: 0.1 };

/** An instance's telemetry with an in-memory span exporter and hand-driven engine requests. */
function setup(service: 'prefill' | 'decode') {
  const exporter = new InMemorySpanExporter();
  const telemetry = ServiceTelemetry.create({
    service,
    instanceId: `${service}-0`,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    logDestination: { write: () => {} },
  });
  const views = new Map<string, EngineRequestView>();
  const metrics = new EngineMetrics(telemetry.registry, 'm', () => STATS);
  const tracker = new EngineRequestTelemetry({
    telemetry,
    metrics,
    model: 'm',
    instanceId: `${service}-0`,
    lookup: (id) => views.get(id),
  });
  // The gateway's submit span, as a remote parent.
  const parent = telemetry.tracer.startSpan('gateway.submit');
  const headers = traceHeaders(trace.setSpan(ROOT_CONTEXT, parent));
  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((s: ReadableSpan) => s.name === name);
  const scrape = async () => parsePrometheusText(await telemetry.registry.metrics());
  return { tracker, views, parent, headers, named, scrape };
}

const out = (tokens: number[], finishReason: string | null = null) => ({
  finished: finishReason !== null,
  numCachedTokens: 0,
  outputs: [{ tokenIds: tokens, finishReason }],
});

describe('EngineRequestTelemetry', () => {
  it('prefill: queue, one span per chunk (the last seen at the first token), first token', async () => {
    const { tracker, views, parent, headers, named, scrape } = setup('prefill');
    tracker.accepted('r1', 'prefill', 40, headers);
    assert.ok(tracker.transferHeaders('r1')?.traceparent, 'trace context for the agent');
    views.set('r1', { numComputedTokens: 16, numCachedTokens: 0 });
    tracker.afterStep(step);
    views.set('r1', { numComputedTokens: 32, numCachedTokens: 0 });
    tracker.afterStep(step);
    views.delete('r1'); // the last chunk finished the request inside its step
    tracker.output('r1', out([5], 'length'));
    const [prefill] = named(SPAN.prefill);
    assert.equal(prefill.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(prefill.attributes[ATTR.requestId], 'r1');
    assert.deepEqual(
      prefill.events.map((e) => e.name),
      ['first_scheduled', 'first_token'],
    );
    const chunks = named(SPAN.prefillChunk);
    assert.deepEqual(
      chunks.map((c) => c.attributes[ATTR.chunkTokens]),
      [16, 16, 8],
    );
    for (const c of [...chunks, ...named(SPAN.prefillQueue)])
      assert.equal(c.parentSpanContext?.spanId, prefill.spanContext().spanId);
    assert.equal(tracker.size, 0);
    const f = await scrape();
    assert.equal(sumSamples(f, 'vllm:request_queue_time_seconds_count'), 1);
    assert.equal(sumSamples(f, 'vllm:request_prefill_time_seconds_count'), 1);
    assert.equal(sumSamples(f, 'vllm:request_decode_time_seconds_count'), 0);
    assert.equal(
      sumSamples(f, 'vllm:num_requests_waiting', { model_name: 'm', instance_id: 'prefill-0' }),
      2,
    );
    assert.equal(sumSamples(f, 'vllm:kv_cache_usage_perc'), 0.25);
    assert.equal(sumSamples(f, 'vllm:prefix_cache_hits_total'), 16);
    assert.equal(sumSamples(f, 'vllm:num_preemptions_total'), 3);
  });

  it('decode: decode.reserve, then decode from the KV commit with its queue, tokens and finish reason', async () => {
    const { tracker, views, parent, headers, named, scrape } = setup('decode');
    tracker.accepted('r2', 'decode', 40, headers);
    tracker.reserved('r2');
    assert.equal(named(SPAN.decodeReserve).length, 1);
    views.set('r2', { numComputedTokens: 40, numCachedTokens: 0 });
    tracker.committed('r2');
    tracker.output('r2', out([5])); // the token restored with the KV
    views.set('r2', { numComputedTokens: 41, numCachedTokens: 0 });
    tracker.afterStep(step);
    tracker.output('r2', out([6, 7], 'stop'));
    const [decode] = named(SPAN.decode);
    assert.equal(decode.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(decode.attributes[ATTR.completionTokens], 3);
    assert.equal(decode.attributes[ATTR.finishReason], 'stop');
    assert.equal(named(SPAN.decodeQueue)[0].parentSpanContext?.spanId, decode.spanContext().spanId);
    const f = await scrape();
    assert.equal(sumSamples(f, 'vllm:request_queue_time_seconds_count'), 1);
    assert.equal(sumSamples(f, 'vllm:request_decode_time_seconds_count'), 1);
    assert.ok(sumSamples(f, 'vllm:request_queue_time_seconds_sum') >= 0);
  });

  it('a failure ends the open spans with an error status; stop() ends the rest', () => {
    const { tracker, headers, named } = setup('decode');
    tracker.accepted('r3', 'both', 8, headers);
    tracker.failed('r3', new Error('executor failed'));
    tracker.accepted('r4', 'both', 8, headers);
    tracker.stop();
    const prefills = named(SPAN.prefill);
    assert.equal(prefills.length, 2);
    for (const s of prefills) assert.equal(s.status.code, 2);
    assert.equal(tracker.size, 0);
  });
});
