import type { SchedulerStats, StepMetrics } from '@pdserve/engine';
import type { DecodeStepSample, LoadReport } from '@pdserve/protocol';

/** Weight of the newest measurement in the moving averages. */
const ALPHA = 0.2;
/** Decode batch sizes reported (the most recently seen). */
const MAX_DECODE_SAMPLES = 16;
/**
 * Prompt tokens (beyond one per sequence) a step needs to count as a prefill sample: fewer, e.g.
 * a request whose KV just arrived recomputing its last token, would measure the step's fixed cost
 * as an absurdly low prefill speed.
 */
const MIN_PREFILL_TOKENS = 32;
/**
 * Prefill and decode-step measurements older than this are no longer reported: on a machine whose
 * other load comes and goes, a speed measured in a busy moment must not outlive it (the router
 * would refuse everything and, refusing, never measure again); unreported, the router explores.
 */
export const MEASUREMENT_TTL_MS = 30_000;

function ewma(previous: number | undefined, value: number): number {
  return previous === undefined ? value : previous + ALPHA * (value - previous);
}

/** What the tracker reads from the engine when it builds a report. */
export interface EngineLoadSource {
  stats(): SchedulerStats;
  numFreeBlocks(): number;
  /** Prompt tokens accepted but not computed yet (absent: not reported). */
  queuedPromptTokens?(): number;
  /** KV bytes of the instance's transfers under way (absent: not reported). */
  transferBytesInFlight?(): number;
}

/**
 * Turns an engine's per-step metrics into the LoadReport its heartbeat carries: prefill speed
 * (tokens per second over steps with at least MIN_PREFILL_TOKENS prompt tokens) and decode step
 * time by batch size (steps where every sequence ran one token) and the decoding requests'
 * inter-token latency (`stepStarted` / `stepEnded`), all moving averages left out once older than
 * MEASUREMENT_TTL_MS, plus the scheduler's queue and KV numbers at report time; the
 * measured speed of this instance's KV hand-overs (`observeTransfer`), the prompt work of the step
 * in flight (`stepStarted` / `stepEnded`: the scheduler counts it computed as it schedules it), and
 * the TPOT targets and max_tokens of its unfinished requests (`trackSlo` / `untrack`), which the
 * SLO-aware router must not break when it adds work here. EngineService feeds `observe` from EngineCore.onStepMetrics,
 * the others from its submits and KV connector events, and calls `report` on every heartbeat.
 */
export class LoadTracker {
  readonly #source: EngineLoadSource;
  #prefillTokensPerS: number | undefined;
  #prefillAtMs = 0;
  #transferBytesPerS: number | undefined;
  /** Moving average step time by batch size, and when it was last updated (ms). */
  readonly #decodeStepMs = new Map<number, { stepMs: number; atMs: number }>();
  /** The step computing now: its prompt tokens, decode rows and when it started (null: none). */
  #inflight: { promptTokens: number; decodeRows: number; startMs: number } | null = null;
  /** When the last step that ran decode rows ended (ms; null: the last step ran none). */
  #lastDecodeEndMs: number | null = null;
  #decodeItlMs: number | undefined;
  #decodeItlAtMs = 0;
  /** TPOT target (ms, or null for none) and max_tokens (or null) of each unfinished request. */
  readonly #tracked = new Map<string, { tpotMs: number | null; maxTokens: number | null }>();

  constructor(source: EngineLoadSource) {
    this.#source = source;
  }

  /** Records one engine step (at `nowMs`). */
  observe(step: StepMetrics, nowMs = Date.now()): void {
    const stepMs = step.scheduleMs + step.executeMs + step.sampleMs + step.updateMs;
    if (stepMs <= 0 || step.numScheduledSeqs === 0) return;
    if (step.numScheduledTokens > step.numScheduledSeqs) {
      if (step.numScheduledTokens - step.numScheduledSeqs < MIN_PREFILL_TOKENS) return;
      const fresh = nowMs - this.#prefillAtMs <= MEASUREMENT_TTL_MS ? this.#prefillTokensPerS : undefined;
      this.#prefillTokensPerS = ewma(fresh, (step.numScheduledTokens * 1000) / stepMs);
      this.#prefillAtMs = nowMs;
      return;
    }
    const batch = step.numScheduledSeqs;
    const previous = this.#decodeStepMs.get(batch);
    const fresh =
      previous !== undefined && nowMs - previous.atMs <= MEASUREMENT_TTL_MS ? previous.stepMs : undefined;
    // Re-insert so iteration order is recency order.
    this.#decodeStepMs.delete(batch);
    this.#decodeStepMs.set(batch, { stepMs: ewma(fresh, stepMs), atMs: nowMs });
    if (this.#decodeStepMs.size > MAX_DECODE_SAMPLES) {
      const oldest = this.#decodeStepMs.keys().next().value as number;
      this.#decodeStepMs.delete(oldest);
    }
  }

  /**
   * A model step computing `promptTokens` prompt tokens (they count as queued until it ends) and
   * `decodeRows` decoding sequences started.
   */
  stepStarted(promptTokens: number, decodeRows = 0, nowMs = Date.now()): void {
    this.#inflight = { promptTokens, decodeRows, startMs: nowMs };
  }

  /**
   * The step in flight ended. When it and the step before both ran decode rows, the time between
   * their ends is what those sequences waited for this token: an inter-token latency sample.
   */
  stepEnded(nowMs = Date.now()): void {
    const decoded = (this.#inflight?.decodeRows ?? 0) > 0;
    this.#inflight = null;
    if (decoded && this.#lastDecodeEndMs !== null) {
      const fresh = nowMs - this.#decodeItlAtMs <= MEASUREMENT_TTL_MS ? this.#decodeItlMs : undefined;
      this.#decodeItlMs = ewma(fresh, Math.max(0.001, nowMs - this.#lastDecodeEndMs));
      this.#decodeItlAtMs = nowMs;
    }
    this.#lastDecodeEndMs = decoded ? nowMs : null;
  }

  /** Prompt tokens of the step in flight not computed yet, at the measured speed (all, unmeasured). */
  #inflightLeft(nowMs: number): number {
    const s = this.#inflight;
    if (s === null || s.promptTokens === 0) return 0;
    const rate = this.#prefillTokensPerS ?? 0;
    return Math.max(0, Math.round(s.promptTokens - ((nowMs - s.startMs) * rate) / 1000));
  }

  /** Records one finished KV hand-over of `bytes` that took `ms` (prefill side). */
  observeTransfer(bytes: number, ms: number): void {
    if (bytes <= 0 || ms <= 0) return;
    this.#transferBytesPerS = ewma(this.#transferBytesPerS, (bytes * 1000) / ms);
  }

  /**
   * Remembers an accepted request's TPOT target and max_tokens (undefined or null: it came without)
   * until `untrack`.
   */
  trackSlo(requestId: string, tpotMs: number | undefined, maxTokens?: number | null): void {
    this.#tracked.set(requestId, { tpotMs: tpotMs ?? null, maxTokens: maxTokens ?? null });
  }

  /** Forgets a request `trackSlo` remembered (it finished, failed or was aborted). */
  untrack(requestId: string): void {
    this.#tracked.delete(requestId);
  }

  /** The load now. */
  report(nowMs = Date.now()): LoadReport {
    const stats = this.#source.stats();
    const decodeStepMs: DecodeStepSample[] = [...this.#decodeStepMs]
      .filter(([, s]) => nowMs - s.atMs <= MEASUREMENT_TTL_MS)
      .map(([batchSize, s]) => ({ batchSize, stepMs: s.stepMs }))
      .sort((a, b) => a.batchSize - b.batchSize);
    const prefillFresh = nowMs - this.#prefillAtMs <= MEASUREMENT_TTL_MS;
    const waiting = this.#source.queuedPromptTokens?.();
    const transferring = this.#source.transferBytesInFlight?.();
    const queued = waiting === undefined ? undefined : waiting + this.#inflightLeft(nowMs);
    return {
      queueLength: stats.numWaitingReqs,
      numRunning: stats.numRunningReqs,
      numWaiting: stats.numWaitingReqs,
      kvUsage: Math.min(1, Math.max(0, stats.kvCacheUsage)),
      numFreeBlocks: this.#source.numFreeBlocks(),
      prefillTokensPerS: prefillFresh ? (this.#prefillTokensPerS ?? 0) : 0,
      decodeStepMs,
      timestampMs: nowMs,
      ...(this.#decodeItlMs !== undefined && nowMs - this.#decodeItlAtMs <= MEASUREMENT_TTL_MS
        ? { decodeItlMs: this.#decodeItlMs }
        : {}),
      ...(queued === undefined ? {} : { queuedPromptTokens: queued }),
      ...(this.#transferBytesPerS === undefined ? {} : { kvTransferBytesPerS: this.#transferBytesPerS }),
      ...(transferring === undefined ? {} : { kvTransferBytesInFlight: transferring }),
      ...this.#sloFields(),
    };
  }

  #sloFields(): Pick<LoadReport, 'minTpotSloMs' | 'numWithoutTpotSlo' | 'meanMaxTokens'> {
    let min = Number.POSITIVE_INFINITY;
    let without = 0;
    let tokens = 0;
    let withTokens = 0;
    for (const { tpotMs, maxTokens } of this.#tracked.values()) {
      if (tpotMs === null) without++;
      else min = Math.min(min, tpotMs);
      if (maxTokens !== null && maxTokens > 0) {
        tokens += maxTokens;
        withTokens++;
      }
    }
    return {
      numWithoutTpotSlo: without,
      ...(Number.isFinite(min) ? { minTpotSloMs: min } : {}),
      ...(withTokens > 0 ? { meanMaxTokens: tokens / withTokens } : {}),
    };
  }
}
