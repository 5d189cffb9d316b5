import { z } from 'zod';
import { defineMessage } from './message-codec.js';
import { wire } from './wire-schemas.js';

/** A span attribute value as it travels: text, number or flag. */
export type SpanAttributeValue = string | number | boolean;

/**
 * One finished OpenTelemetry span of a pdserve service, reduced to what the gateway's status page
 * shows: its place in the trace, its name, who ran it, when (Unix ms) and its plain attributes.
 */
export interface SpanSummary {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** The service that ran it ('gateway', 'router', 'prefill', 'decode', 'both', 'kv-connector'). */
  service: string;
  instanceId: string;
  startMs: number;
  endMs: number;
  /** True when the span ended with an error status. */
  error?: boolean;
  attributes: Record<string, SpanAttributeValue>;
}

/**
 * Finished spans a service publishes on `subjects.telemetrySpans()` (a batch every few hundred
 * ms), so a gateway can show each request's time split without a trace backend.
 */
export interface SpanSummaryBatch {
  spans: SpanSummary[];
}

const summarySchema: z.ZodType<SpanSummary> = z.object({
  traceId: wire.id(),
  spanId: wire.id(),
  parentSpanId: wire.id().optional(),
  name: z.string(),
  service: z.string(),
  instanceId: z.string(),
  startMs: z.number().nonnegative(),
  endMs: z.number().nonnegative(),
  error: z.boolean().optional(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

export const spanSummaryBatchCodec = defineMessage<SpanSummaryBatch>(
  'SpanSummaryBatch',
  z.object({ spans: z.array(summarySchema) }),
);
