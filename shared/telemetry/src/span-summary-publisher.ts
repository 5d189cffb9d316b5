import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { type SpanSummary, spanSummaryBatchCodec, subjects } from '@pdserve/protocol';
import type { NatsClient } from '@pdserve/runtime';
import { spanSummaryOf } from './span-summary-of.js';

/** How often buffered summaries go out, and the largest batch. */
const FLUSH_MS = 200;
const MAX_BATCH = 256;

/**
 * A span processor that publishes every finished span, reduced to a SpanSummary, on
 * `subjects.telemetrySpans()` in batches (every 200 ms, or at 256 spans), so gateways can show each
 * request's time split on their status page without a trace backend. Engines, routers and agents
 * add one once connected to NATS. Publishing is fire-and-forget: no gateway listening costs nothing
 * but the message.
 */
export class SpanSummaryPublisher implements SpanProcessor {
  #buffer: SpanSummary[] = [];
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(private readonly client: NatsClient) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#closed) return;
    this.#buffer.push(spanSummaryOf(span));
    if (this.#buffer.length >= MAX_BATCH) this.#publish();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#publish(), FLUSH_MS);
      this.#timer.unref();
    }
  }

  async forceFlush(): Promise<void> {
    this.#publish();
  }

  async shutdown(): Promise<void> {
    this.#publish();
    this.#closed = true;
  }

  #publish(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const nc = this.client.nc;
    if (this.#buffer.length === 0 || nc.isClosed() || nc.isDraining()) return;
    const spans = this.#buffer;
    this.#buffer = [];
    try {
      this.client.publish(subjects.telemetrySpans(), spanSummaryBatchCodec, { spans });
    } catch {
      // The connection is going away: these spans are lost to the status page (OTLP still has them).
    }
  }
}
