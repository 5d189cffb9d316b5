import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/**
 * The tracer provider's one span processor, forwarding to a list that can grow after the provider
 * was built (the SDK takes processors only at construction, but the NATS span publisher needs a
 * connection made later). A processor that throws is skipped; the others still see the span.
 */
export class SpanFanout implements SpanProcessor {
  readonly #processors: SpanProcessor[] = [];

  /** Adds a processor; it sees spans that start from now on. */
  add(processor: SpanProcessor): void {
    this.#processors.push(processor);
  }

  onStart(span: Span, parentContext: Context): void {
    for (const p of this.#processors) {
      try {
        p.onStart(span, parentContext);
      } catch {
        // A broken processor must not break the traced code.
      }
    }
  }

  onEnd(span: ReadableSpan): void {
    for (const p of this.#processors) {
      try {
        p.onEnd(span);
      } catch {
        // As above.
      }
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.#processors.map((p) => p.forceFlush().catch(() => {})));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.#processors.map((p) => p.shutdown().catch(() => {})));
  }
}
