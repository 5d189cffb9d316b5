import type { SchedulerStats, StepMetrics } from '@pdserve/engine';
import type { DecodeStepSample, LoadReport } from '@pdserve/protocol';

/** Weight of the newest measurement in the moving averages. */
const ALPHA = 0.2;
/** Decode batch sizes reported (the most recently seen). */
const MAX_DECODE_SAMPLES = 16;

function ewma(previous: number | undefined, value: number): number {
  return previous === undefined ? value : previous + ALPHA * (value - previous);
}

/** What the tracker reads from the engine when it builds a report. */
export interface EngineLoadSource {
  stats(): SchedulerStats;
  numFreeBlocks(): number;
}

/**
 * Turns an engine's per-step metrics into the LoadReport its heartbeat carries: prefill speed
 * (tokens per second over steps that ran prompt tokens) and decode step time by batch size (steps
 * where every sequence ran one token), both as moving averages, plus the scheduler's queue and KV
 * numbers at report time. EngineService feeds `observe` from EngineCore.onStepMetrics and calls
 * `report` on every heartbeat.
 */
export class LoadTracker {
  readonly #source: EngineLoadSource;
  #prefillTokensPerS: number | undefined;
  readonly #decodeStepMs = new Map<number, number>();

  constructor(source: EngineLoadSource) {
    this.#source = source;
  }

  /** Records one engine step. */
  observe(step: StepMetrics): void {
    const stepMs = step.scheduleMs + step.executeMs + step.sampleMs + step.updateMs;
    if (stepMs <= 0 || step.numScheduledSeqs === 0) return;
    if (step.numScheduledTokens > step.numScheduledSeqs) {
      this.#prefillTokensPerS = ewma(this.#prefillTokensPerS, (step.numScheduledTokens * 1000) / stepMs);
      return;
    }
    const batch = step.numScheduledSeqs;
    const previous = this.#decodeStepMs.get(batch);
    // Re-insert so iteration order is recency order.
    this.#decodeStepMs.delete(batch);
    this.#decodeStepMs.set(batch, ewma(previous, stepMs));
    if (this.#decodeStepMs.size > MAX_DECODE_SAMPLES) {
      const oldest = this.#decodeStepMs.keys().next().value as number;
      this.#decodeStepMs.delete(oldest);
    }
  }

  /** The load now. */
  report(nowMs = Date.now()): LoadReport {
    const stats = this.#source.stats();
    const decodeStepMs: DecodeStepSample[] = [...this.#decodeStepMs]
      .map(([batchSize, stepMs]) => ({ batchSize, stepMs }))
      .sort((a, b) => a.batchSize - b.batchSize);
    return {
      queueLength: stats.numWaitingReqs,
      numRunning: stats.numRunningReqs,
      numWaiting: stats.numWaitingReqs,
      kvUsage: Math.min(1, Math.max(0, stats.kvCacheUsage)),
      numFreeBlocks: this.#source.numFreeBlocks(),
      prefillTokensPerS: this.#prefillTokensPerS ?? 0,
      decodeStepMs,
      timestampMs: nowMs,
    };
  }
}
