import { type Attributes, context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { ATTR, traceHeaders } from '@pdserve/telemetry';

/**
 * Runs `fn` (a NATS call) in a client span named `name`, giving it the trace headers to send, so
 * the service that answers opens its spans as children. Without tracing: `fn({})`.
 */
export type TracedCall = <T>(
  name: string,
  attributes: Attributes,
  fn: (headers: Record<string, string>) => Promise<T>,
) => Promise<T>;

/** No spans, no headers. */
export const untraced: TracedCall = (_name, _attributes, fn) => fn({});

/** Client spans on `tracer`, children of the span active where the call is made. */
export function tracedCall(tracer: Tracer): TracedCall {
  return async (name, attributes, fn) => {
    const parent = context.active();
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    try {
      return await fn(traceHeaders(trace.setSpan(parent, span)));
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string') span.setAttribute(ATTR.errorCode, code);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  };
}
