import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpanSummary } from '@pdserve/protocol';
import { requestTimeline } from './request-timeline.js';
import { ATTR, SPAN } from './span-attributes.js';

const span = (
  name: string,
  service: string,
  startMs: number,
  endMs: number,
  extra: Partial<SpanSummary> = {},
) => ({
  traceId: 't',
  spanId: `${name}-${startMs}`,
  parentSpanId: 'p',
  name,
  service,
  instanceId: `${service}-0`,
  startMs,
  endMs,
  attributes: {},
  ...extra,
});

describe('requestTimeline', () => {
  it('splits a disaggregated request into gateway, queue, prefill, transfer, decode and the tail', () => {
    const spans: SpanSummary[] = [
      span('POST /v1/completions', 'gateway', 100, 300, {
        parentSpanId: undefined,
        attributes: { [ATTR.promptTokens]: 300, [ATTR.completionTokens]: 8, [ATTR.ttftMs]: 150 },
      }),
      span(SPAN.routerRoute, 'router', 105, 107, { attributes: { [ATTR.routeMode]: 'disaggregated' } }),
      span(SPAN.prefill, 'prefill', 120, 160),
      span(SPAN.prefillQueue, 'prefill', 120, 125),
      span(SPAN.kvTransfer, 'kv-connector', 140, 180, {
        attributes: { [ATTR.kvTransport]: 'nats', [ATTR.kvBytes]: 1900, [ATTR.kvBlocks]: 19 },
      }),
      span(SPAN.decode, 'decode', 185, 290),
    ];
    const t = requestTimeline('r', 't', 100, spans, 999);
    assert.equal(t.status, 'ok');
    assert.equal(t.totalMs, 200);
    assert.deepEqual(
      t.segments.map((s) => [s.phase, s.startMs, s.durationMs]),
      [
        ['gateway', 100, 20],
        ['queue', 120, 5],
        ['prefill', 125, 35],
        ['transfer', 160, 25],
        ['decode', 185, 105],
        ['gateway', 290, 10],
      ],
    );
    assert.equal(t.mode, 'disaggregated');
    assert.deepEqual(t.transfer, { transport: 'nats', bytes: 1900, blocks: 19, durationMs: 40 });
    assert.equal(t.ttftMs, 150);
  });

  it('a request still running has only what is known, up to now', () => {
    const t = requestTimeline('r', 't', 100, [span(SPAN.prefillQueue, 'both', 110, 111)], 150);
    assert.equal(t.status, 'running');
    assert.equal(t.totalMs, 50);
    assert.deepEqual(
      t.segments.map((s) => s.phase),
      ['gateway', 'queue'],
    );
  });
});
