import type { StepRecord } from './engine-run.js';

/** Steady-state figures of an engine run (see summarizeSteps). */
export interface StepSummary {
  numSteps: number;
  numSteadySteps: number;
  /** Mean sequences per steady-state step (decodes plus prefill chunks). */
  meanBatchSize: number;
  /** Mean over steady-state steps of (reserved - used) / reserved KV slots. */
  kvWaste: number;
  /** Shares of steady-state step time (sums of times over sums of step times). */
  runnerFrac: number;
  samplerFrac: number;
  /** Everything else: scheduling, input building, applying samples, the step's own async glue. */
  schedulerOverheadFrac: number;
  meanStepMs: number;
}

/**
 * The steady state is the steps that start after 10% of the requests have finished and before 90%
 * have: the ramp-up (everything prefilling) and the drain (a shrinking tail) are left out. With too
 * few requests for that window to hold a step, every step counts.
 */
export function steadySteps(steps: readonly StepRecord[], numRequests: number): StepRecord[] {
  const lo = Math.ceil(0.1 * numRequests);
  const hi = Math.floor(0.9 * numRequests);
  const window = steps.filter((s) => s.finishedBefore >= lo && s.finishedBefore < hi);
  return window.length > 0 ? window : [...steps];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Batch size, KV waste and where step time went, over the steady state. */
export function summarizeSteps(steps: readonly StepRecord[], numRequests: number): StepSummary {
  const steady = steadySteps(steps, numRequests);
  const n = Math.max(1, steady.length);
  const total = sum(steady.map((s) => s.totalMs));
  const runner = sum(steady.map((s) => s.executeMs));
  const sampler = sum(steady.map((s) => s.sampleMs));
  const frac = (x: number) => (total > 0 ? x / total : 0);
  return {
    numSteps: steps.length,
    numSteadySteps: steady.length,
    meanBatchSize: sum(steady.map((s) => s.numScheduledSeqs)) / n,
    kvWaste: sum(steady.map((s) => (s.reservedSlots > 0 ? 1 - s.usedSlots / s.reservedSlots : 0))) / n,
    runnerFrac: frac(runner),
    samplerFrac: frac(sampler),
    schedulerOverheadFrac: frac(total - runner - sampler),
    meanStepMs: total / n,
  };
}

/**
 * Decode tokens per second of a run with one request: the steps after its first (the prefill step
 * samples the first token), one token each, over their wall time (or, with `cpu`, per CPU second).
 */
export function decodeRate(steps: readonly StepRecord[], cpu = false): number {
  const decode = steps.slice(1);
  const ms = sum(decode.map((s) => (cpu ? s.cpuMs : s.totalMs)));
  return ms > 0 ? (decode.length * 1000) / ms : 0;
}

/**
 * The same from the median decode step's wall time: robust to bursts of other load on a shared
 * machine (which only ever lengthen steps), so it is the higher, stricter batch-1 figure.
 */
export function medianDecodeRate(steps: readonly StepRecord[]): number {
  const ms = steps
    .slice(1)
    .map((s) => s.totalMs)
    .sort((a, b) => a - b);
  if (ms.length === 0) return 0;
  const mid = ms.length >> 1;
  const median = ms.length % 2 === 1 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
  return median > 0 ? 1000 / median : 0;
}
