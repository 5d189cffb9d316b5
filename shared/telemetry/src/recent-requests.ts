import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { SpanSummary } from '@pdserve/protocol';
import { epochNowMs } from './epoch-clock.js';
import { type RequestTimeline, requestTimeline } from './request-timeline.js';
import { ATTR } from './span-attributes.js';
import { spanSummaryOf } from './span-summary-of.js';

interface Entry {
  requestId: string;
  traceId: string;
  startMs: number;
  spans: SpanSummary[];
}

/** Spans kept per request at most (a runaway trace cannot grow the store). */
const MAX_SPANS = 200;

/**
 * The gateway's recent requests for its status page. As a span processor on the gateway's tracer
 * it notices each request's root span start (a root span with a request id) and keeps that trace's
 * spans; `addRemote` adds the spans other services published over NATS, for traces it keeps
 * (spans of other gateways' requests are ignored). Holds the last `capacity` requests.
 */
export class RecentRequests implements SpanProcessor {
  readonly #entries = new Map<string, Entry>();

  constructor(readonly capacity = 50) {}

  onStart(span: Span, _parent: Context): void {
    const requestId = span.attributes[ATTR.requestId];
    if (span.parentSpanContext !== undefined || typeof requestId !== 'string') return;
    const traceId = span.spanContext().traceId;
    this.#entries.set(traceId, { requestId, traceId, startMs: epochNowMs(), spans: [] });
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  onEnd(span: ReadableSpan): void {
    this.addRemote([spanSummaryOf(span)]);
  }

  /** Spans from other services (or this one); those of unknown traces are dropped. */
  addRemote(spans: readonly SpanSummary[]): void {
    for (const s of spans) {
      const entry = this.#entries.get(s.traceId);
      if (entry !== undefined && entry.spans.length < MAX_SPANS) entry.spans.push(s);
    }
  }

  /** The kept requests, newest first, with their time split. */
  list(nowMs = epochNowMs()): RequestTimeline[] {
    return [...this.#entries.values()]
      .reverse()
      .map((e) => requestTimeline(e.requestId, e.traceId, e.startMs, e.spans, nowMs));
  }

  /** The spans kept for one trace (tests, debugging). */
  spansOf(traceId: string): readonly SpanSummary[] {
    return this.#entries.get(traceId)?.spans ?? [];
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
