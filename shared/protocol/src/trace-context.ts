import { z } from 'zod';

/**
 * W3C trace context of the request's trace, so every service's spans join one trace. Carried in
 * NATS headers (`traceparent`, `tracestate`) and, where a message outlives its delivery (a queued
 * submit), in the message too.
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

export const traceContextSchema: z.ZodType<TraceContext> = z.object({
  traceparent: z.string(),
  tracestate: z.string().optional(),
});
