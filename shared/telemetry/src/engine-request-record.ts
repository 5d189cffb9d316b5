import { type Context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { ATTR } from './span-attributes.js';

/** What an engine instance does for a request. */
export type EngineTask = 'prefill' | 'decode' | 'both';

/** Where a tracked request is on this instance. */
export type EnginePhase = 'reserving' | 'waitingKv' | 'queued' | 'prefilling' | 'decoding';

/**
 * One request as EngineRequestTelemetry follows it on one instance: its remote parent (the
 * gateway's submit span), the span open now (prefill, decode or decode.reserve) and the queue
 * span inside it, and the times (epoch ms) the metrics are computed from.
 */
export class EngineRequestRecord {
  phase: EnginePhase;
  span: Span | null = null;
  queueSpan: Span | null = null;
  queuedAtMs: number;
  firstScheduledMs: number | null = null;
  firstTokenMs: number | null = null;
  lastTokenMs: number | null = null;
  /** numComputedTokens when last looked at (cached prompt tokens count as computed). */
  computed = 0;
  cachedTokens = 0;
  chunks = 0;
  tokens = 0;

  constructor(
    readonly requestId: string,
    readonly task: EngineTask,
    readonly promptTokens: number,
    readonly parent: Context,
    private readonly tracer: Tracer,
    readonly baseAttributes: Record<string, string | number>,
    nowMs: number,
  ) {
    this.phase = task === 'decode' ? 'reserving' : 'queued';
    this.queuedAtMs = nowMs;
  }

  /** The trace id (for log lines); '' when tracing is off. */
  get traceId(): string {
    return this.span?.spanContext().traceId ?? '';
  }

  /** Opens the main span `name` (child of the remote parent) and, when `queue` is given, its queue span. */
  open(name: string, atMs: number, queue?: string): void {
    this.span = this.tracer.startSpan(
      name,
      { startTime: atMs, attributes: this.baseAttributes },
      this.parent,
    );
    this.queueSpan =
      queue === undefined ? null : this.tracer.startSpan(queue, { startTime: atMs }, this.context());
  }

  /** The context of the main span (to start children in, or to propagate). */
  context(): Context {
    return this.span === null ? this.parent : trace.setSpan(this.parent, this.span);
  }

  /** A finished child span [startMs, endMs]. */
  child(name: string, startMs: number, endMs: number, attributes: Record<string, number | string>): void {
    this.tracer.startSpan(name, { startTime: startMs, attributes }, this.context()).end(endMs);
  }

  /** Ends the queue span (if open). */
  endQueue(atMs: number): void {
    this.queueSpan?.end(atMs);
    this.queueSpan = null;
  }

  /** Ends the open spans, with an error status when `error` is given. */
  close(atMs: number, attributes: Record<string, number | string> = {}, error?: Error): void {
    for (const span of [this.queueSpan, this.span]) {
      if (span === null) continue;
      if (error !== undefined) {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
    }
    this.endQueue(atMs);
    this.span?.setAttributes({ ...attributes, [ATTR.cachedTokens]: this.cachedTokens });
    this.span?.end(atMs);
    this.span = null;
  }
}
