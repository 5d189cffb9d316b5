import { type Context, ROOT_CONTEXT, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

type Headers = Readonly<Record<string, string>>;

const propagator = new W3CTraceContextPropagator();

/** NATS header names keep their case; W3C names are lower case, so look both ways. */
const getter: TextMapGetter<Headers> = {
  get(carrier, key) {
    const direct = carrier[key];
    if (direct !== undefined) return direct;
    const lower = key.toLowerCase();
    for (const [k, v] of Object.entries(carrier)) if (k.toLowerCase() === lower) return v;
    return undefined;
  },
  keys: (carrier) => Object.keys(carrier),
};

/**
 * The W3C trace context headers (`traceparent`, `tracestate`) of the span active in `ctx`: what a
 * service puts on a NATS message so the receiver's spans join the same trace. Empty when `ctx`
 * holds no valid span (tracing off), so nothing is sent.
 */
export function traceHeaders(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  propagator.inject(ctx, out, {
    set: (carrier, key, value) => {
      carrier[key] = value;
    },
  });
  return out;
}

/**
 * The remote parent a message's headers name (its `traceparent`), as a Context to start child
 * spans in; the root context when the headers carry none or a malformed one.
 */
export function contextFromHeaders(headers: Headers | undefined): Context {
  if (headers === undefined) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, headers, getter);
}
