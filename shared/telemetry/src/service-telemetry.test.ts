import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { otlpTracesUrl, ServiceTelemetry } from './service-telemetry.js';
import { contextFromHeaders, traceHeaders } from './trace-headers.js';

describe('ServiceTelemetry', () => {
  it('logs JSON lines with level, time, service, instance and the call fields', () => {
    const lines: string[] = [];
    const t = ServiceTelemetry.create({
      service: 'router',
      instanceId: 'router-1',
      logDestination: { write: (l: string) => void lines.push(l) },
    });
    t.logger.info({ requestId: 'abc' }, 'routed');
    t.logger.debug({}, 'hidden at info');
    t.logger.warn({ err: new Error('boom') }, 'failed');
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0]);
    assert.equal(first.level, 'info');
    assert.equal(first.service, 'router');
    assert.equal(first.instance, 'router-1');
    assert.equal(first.requestId, 'abc');
    assert.equal(first.msg, 'routed');
    assert.ok(!Number.isNaN(Date.parse(first.time)));
    assert.equal(JSON.parse(lines[1]).err.message, 'boom');
  });

  it('exports over OTLP only when an endpoint is set', () => {
    assert.equal(otlpTracesUrl(undefined, {}), undefined);
    assert.equal(otlpTracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }), undefined);
    assert.equal(otlpTracesUrl('http://c:4318/', {}), 'http://c:4318/v1/traces');
    assert.equal(
      otlpTracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://e:4318' }),
      'http://e:4318/v1/traces',
    );
    assert.equal(
      otlpTracesUrl(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x/t' }),
      'http://x/t',
    );
    const quiet = ServiceTelemetry.create({
      service: 'gateway',
      instanceId: 'g',
      env: {},
      logDestination: { write: () => {} },
    });
    assert.equal(quiet.otlpUrl, undefined);
  });

  it('spans go to added processors; disabled() records none', async () => {
    const exporter = new InMemorySpanExporter();
    const t = ServiceTelemetry.create({
      service: 'decode',
      instanceId: 'd',
      env: {},
      logDestination: { write: () => {} },
    });
    t.addSpanProcessor(new SimpleSpanProcessor({ exporter }));
    t.tracer.startSpan('x').end();
    assert.equal(exporter.getFinishedSpans()[0].resource.attributes['service.name'], 'pdserve-decode');
    const off = ServiceTelemetry.disabled();
    assert.equal(off.tracing, false);
    assert.equal(off.tracer.startSpan('y').isRecording(), false);
  });

  it('trace headers carry a span context across a message and back', () => {
    const t = ServiceTelemetry.create({
      service: 'gateway',
      instanceId: 'g',
      env: {},
      logDestination: { write: () => {} },
    });
    const span = t.tracer.startSpan('send');
    const headers = traceHeaders(trace.setSpan(ROOT_CONTEXT, span));
    assert.match(headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const remote = trace.getSpanContext(contextFromHeaders({ Traceparent: headers.traceparent }));
    assert.equal(remote?.traceId, span.spanContext().traceId);
    assert.equal(remote?.spanId, span.spanContext().spanId);
    assert.equal(trace.getSpanContext(contextFromHeaders({})), undefined);
    assert.deepEqual(traceHeaders(ROOT_CONTEXT), {});
  });
});
