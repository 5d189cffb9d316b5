import type { Logger } from 'pino';
import type { EngineMetrics } from './engine-metrics.js';
import { EngineRequestRecord, type EngineTask } from './engine-request-record.js';
import { epochNowMs } from './epoch-clock.js';
import type { ServiceTelemetry } from './service-telemetry.js';
import { ATTR, SPAN } from './span-attributes.js';
import { contextFromHeaders, traceHeaders } from './trace-headers.js';

/** What the tracker reads of an engine request after a step (the engine's Request fits). */
export interface EngineRequestView {
  numComputedTokens: number;
  /** Prompt tokens served by the prefix cache (-1 before it was first scheduled). */
  numCachedTokens: number;
}

/** One delta output of a request (the engine's RequestOutput fits). */
export interface EngineOutputLike {
  finished: boolean;
  numCachedTokens: number;
  outputs: readonly { tokenIds: readonly number[]; finishReason: string | null }[];
}

/** One engine step's durations (the engine's StepMetrics fits). */
export interface StepTimesLike {
  scheduleMs: number;
  executeMs: number;
  sampleMs: number;
  updateMs: number;
}

/** Where the tracker reports and what it reads. */
export interface EngineRequestTelemetryOptions {
  telemetry: ServiceTelemetry;
  metrics: EngineMetrics;
  model: string;
  instanceId: string;
  /** The engine's live request with this id (undefined once it ended). */
  lookup(requestId: string): EngineRequestView | undefined;
}

/** Transfers whose trace context is kept for the agent's `stage`/`finish` messages. */
const MAX_TRANSFER_CONTEXTS = 4096;

/**
 * Follows each request an engine instance takes, for traces and vLLM's per-request histograms.
 * Spans, all children of the gateway's submit span (from the SubmitRequest's headers):
 * - prefill / both: `prefill` (accepted -> first token) with `prefill.queue` (-> first scheduled),
 *   one `prefill.chunk` per step that computed prompt tokens, `first_scheduled` and `first_token`
 *   events;
 * - decode: `decode.reserve` (the submit: blocks reserved, transfer opened), then `decode`
 *   (KV committed -> finished) with `decode.queue` (-> first scheduled) and the same events;
 * - both: `decode` too, from the first token to the finish.
 * EngineService calls accepted / reserved / committed / afterStep / output / failed / stop.
 */
export class EngineRequestTelemetry {
  readonly #options: EngineRequestTelemetryOptions;
  readonly #logger: Logger;
  readonly #records = new Map<string, EngineRequestRecord>();
  readonly #transferHeaders = new Map<string, Record<string, string>>();
  #lastStep = { startMs: 0, endMs: 0 };

  constructor(options: EngineRequestTelemetryOptions) {
    this.#options = options;
    this.#logger = options.telemetry.logger;
  }

  /** Requests followed now (leak checks). */
  get size(): number {
    return this.#records.size;
  }

  /**
   * The instance queued a request that arrived at `arrivedMs` (epoch ms; `headers`: the
   * SubmitRequest's, carrying the trace context).
   */
  accepted(
    requestId: string,
    task: EngineTask,
    promptTokens: number,
    headers: Record<string, string>,
    arrivedMs = epochNowMs(),
  ): void {
    const o = this.#options;
    const now = arrivedMs;
    const base = { [ATTR.requestId]: requestId, [ATTR.instanceId]: o.instanceId, [ATTR.model]: o.model };
    const rec = new EngineRequestRecord(
      requestId,
      task,
      promptTokens,
      contextFromHeaders(headers),
      o.telemetry.tracer,
      { ...base, [ATTR.task]: task, [ATTR.promptTokens]: promptTokens },
      now,
    );
    if (task === 'decode') rec.open(SPAN.decodeReserve, now);
    else rec.open(SPAN.prefill, now, SPAN.prefillQueue);
    this.#records.set(requestId, rec);
    if (task === 'prefill') this.#keepTransferContext(requestId, traceHeaders(rec.context()));
    this.#logger.debug({ requestId, traceId: rec.traceId, task, promptTokens }, 'request accepted');
  }

  /** Decode side: the submit was answered (blocks reserved), or failed with `error`. */
  reserved(requestId: string, error?: Error): void {
    const rec = this.#records.get(requestId);
    if (rec === undefined || rec.phase !== 'reserving') return;
    rec.close(epochNowMs(), {}, error);
    if (error === undefined) rec.phase = 'waitingKv';
    else this.#records.delete(requestId);
  }

  /** Decode side: the prompt's KV arrived; the request now waits for its first step. */
  committed(requestId: string): void {
    const rec = this.#records.get(requestId);
    if (rec === undefined) return;
    const now = epochNowMs();
    rec.open(SPAN.decode, now, SPAN.decodeQueue);
    rec.phase = 'queued';
    rec.queuedAtMs = now;
    rec.computed = this.#options.lookup(requestId)?.numComputedTokens ?? rec.promptTokens;
  }

  /** The trace headers for the agent's messages about `requestId`'s outbound transfer (prefill side). */
  transferHeaders(requestId: string): Record<string, string> | undefined {
    return this.#transferHeaders.get(requestId);
  }

  /** The outbound transfer of `requestId` is over: its trace context is needed no more. */
  transferEnded(requestId: string): void {
    this.#transferHeaders.delete(requestId);
  }

  /** After every engine step that ran the model: first schedules and prefill chunks. */
  afterStep(step: StepTimesLike): void {
    const endMs = epochNowMs();
    const startMs = endMs - (step.scheduleMs + step.executeMs + step.sampleMs + step.updateMs);
    this.#lastStep = { startMs, endMs };
    for (const rec of this.#records.values()) {
      if (rec.phase !== 'queued' && rec.phase !== 'prefilling') continue;
      const view = this.#options.lookup(rec.requestId);
      if (view === undefined || view.numComputedTokens <= rec.computed) continue;
      if (rec.phase === 'queued') this.#firstScheduled(rec, startMs, Math.max(0, view.numCachedTokens));
      if (rec.phase === 'prefilling') this.#chunk(rec, view.numComputedTokens, startMs, endMs);
      rec.computed = view.numComputedTokens;
    }
  }

  /** One output delivered to the request's sink. */
  output(requestId: string, output: EngineOutputLike): void {
    const rec = this.#records.get(requestId);
    if (rec === undefined) return;
    const tokens = output.outputs.reduce((n, o) => n + o.tokenIds.length, 0);
    const now = epochNowMs();
    if (tokens > 0 && rec.firstTokenMs === null) this.#firstToken(rec, now, output.numCachedTokens);
    if (tokens > 0) rec.lastTokenMs = now;
    rec.tokens += tokens;
    if (output.finished) {
      const reasons = output.outputs.map((o) => o.finishReason ?? 'abort');
      this.#finish(rec, now, reasons);
    }
  }

  /** The request failed (engine error, transfer failure, shutdown). */
  failed(requestId: string, error: Error): void {
    const rec = this.#records.get(requestId);
    if (rec === undefined) return;
    rec.close(epochNowMs(), {}, error);
    this.#records.delete(requestId);
    this.#logger.debug({ requestId, traceId: rec.traceId, err: error }, 'request failed');
  }

  /** Ends every open span (the instance stops). */
  stop(): void {
    for (const id of [...this.#records.keys()]) this.failed(id, new Error('the instance stopped'));
    this.#transferHeaders.clear();
  }

  #firstScheduled(rec: EngineRequestRecord, stepStartMs: number, cached: number): void {
    // A decode task's KV commit is seen inside the step that then schedules it: not before it was queued.
    const atMs = Math.max(stepStartMs, rec.queuedAtMs);
    rec.firstScheduledMs = atMs;
    rec.endQueue(atMs);
    rec.span?.addEvent('first_scheduled', atMs);
    this.#options.metrics.queueTime.observe(this.#options.metrics.labels, (atMs - rec.queuedAtMs) / 1000);
    if (rec.task === 'decode') {
      rec.phase = 'decoding';
      return;
    }
    rec.phase = 'prefilling';
    rec.cachedTokens = cached;
    rec.computed = Math.max(rec.computed, cached);
  }

  #chunk(rec: EngineRequestRecord, computed: number, startMs: number, endMs: number): void {
    const tokens = Math.min(computed, rec.promptTokens) - rec.computed;
    if (tokens <= 0) return;
    rec.chunks++;
    const from = Math.max(startMs, rec.firstScheduledMs ?? startMs);
    rec.child(SPAN.prefillChunk, from, Math.max(from, endMs), { [ATTR.chunkTokens]: tokens });
  }

  /** The first token: prefill ends (its last chunk seen here when the request left the engine at once). */
  #firstToken(rec: EngineRequestRecord, now: number, cachedTokens: number): void {
    rec.firstTokenMs = now;
    // A decode task's first output is the token restored with the KV: it does not mean a step ran.
    if (rec.phase === 'queued' && rec.task !== 'decode')
      this.#firstScheduled(rec, Math.max(this.#lastStep.startMs, rec.queuedAtMs), cachedTokens);
    if (rec.phase === 'prefilling') {
      this.#chunk(rec, rec.promptTokens, this.#lastStep.startMs, this.#lastStep.endMs);
      const metrics = this.#options.metrics;
      metrics.prefillTime.observe(metrics.labels, (now - (rec.firstScheduledMs ?? now)) / 1000);
      rec.span?.addEvent('first_token', now);
      rec.close(now, { [ATTR.numChunks]: rec.chunks });
      if (rec.task === 'both') {
        rec.open(SPAN.decode, now);
        rec.phase = 'decoding';
      }
      return;
    }
    rec.span?.addEvent('first_token', now);
  }

  #finish(rec: EngineRequestRecord, now: number, reasons: string[]): void {
    this.#records.delete(rec.requestId);
    const metrics = this.#options.metrics;
    if (rec.task !== 'prefill' && rec.firstTokenMs !== null)
      metrics.decodeTime.observe(metrics.labels, ((rec.lastTokenMs ?? now) - rec.firstTokenMs) / 1000);
    const aborted = rec.firstTokenMs === null;
    const attributes = { [ATTR.completionTokens]: rec.tokens, [ATTR.finishReason]: reasons.join(',') };
    rec.close(now, attributes, aborted ? new Error(`ended before its first token (${reasons})`) : undefined);
    const { requestId, traceId, tokens } = rec;
    this.#logger.debug({ requestId, traceId, tokens, finishReason: reasons.join(',') }, 'request finished');
  }

  #keepTransferContext(requestId: string, headers: Record<string, string>): void {
    if (Object.keys(headers).length === 0) return;
    if (this.#transferHeaders.size >= MAX_TRANSFER_CONTEXTS) {
      const oldest = this.#transferHeaders.keys().next().value;
      if (oldest !== undefined) this.#transferHeaders.delete(oldest);
    }
    this.#transferHeaders.set(requestId, headers);
  }
}
