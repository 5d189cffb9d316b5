import { SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanAttributeValue, SpanSummary } from '@pdserve/protocol';

/** A finished span as the status page needs it: ids, name, service, times (epoch ms), plain attributes. */
export function spanSummaryOf(span: ReadableSpan): SpanSummary {
  const ctx = span.spanContext();
  const resource = span.resource.attributes;
  const serviceName = String(resource['service.name'] ?? 'unknown');
  const attributes: Record<string, SpanAttributeValue> = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      attributes[key] = value;
  }
  const parent = span.parentSpanContext?.spanId;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    ...(parent === undefined ? {} : { parentSpanId: parent }),
    name: span.name,
    service: serviceName.replace(/^pdserve-/, ''),
    instanceId: String(resource['service.instance.id'] ?? ''),
    startMs: hrTimeToMilliseconds(span.startTime),
    endMs: hrTimeToMilliseconds(span.endTime),
    ...(span.status.code === SpanStatusCode.ERROR ? { error: true } : {}),
    attributes,
  };
}
