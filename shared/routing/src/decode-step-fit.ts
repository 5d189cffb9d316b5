import type { DecodeStepSample } from '@pdserve/protocol';

/** A linear model of one instance's decode step: stepMs(batch) = interceptMs + slopeMsPerSeq x batch. */
export interface DecodeStepFit {
  interceptMs: number;
  slopeMsPerSeq: number;
  /** Distinct batch sizes the fit was made from (0: the prior alone). */
  numSamples: number;
}

/** The prior used where measurements are missing or too few to fit a slope. */
export interface DecodeStepPrior {
  interceptMs: number;
  slopeMsPerSeq: number;
}

/** The fit's step time at `batchSize`, never below zero. */
export function stepMsAt(fit: DecodeStepFit, batchSize: number): number {
  return Math.max(0, fit.interceptMs + fit.slopeMsPerSeq * batchSize);
}

/**
 * Fits decode step time against batch size by ordinary least squares on the (batch, step ms)
 * points of a LoadReport (each point is the engine's moving average at that batch size). A
 * negative slope (noise) is clamped to 0 around the mean. With one point the prior's slope goes
 * through it; with none, the prior is the fit. Pure: the router refits on every decision.
 */
export function fitDecodeSteps(samples: readonly DecodeStepSample[], prior: DecodeStepPrior): DecodeStepFit {
  const n = samples.length;
  if (n === 0) return { ...prior, numSamples: 0 };
  const meanX = samples.reduce((s, p) => s + p.batchSize, 0) / n;
  const meanY = samples.reduce((s, p) => s + p.stepMs, 0) / n;
  if (n === 1) {
    return {
      interceptMs: meanY - prior.slopeMsPerSeq * meanX,
      slopeMsPerSeq: prior.slopeMsPerSeq,
      numSamples: 1,
    };
  }
  let sxx = 0;
  let sxy = 0;
  for (const p of samples) {
    sxx += (p.batchSize - meanX) ** 2;
    sxy += (p.batchSize - meanX) * (p.stepMs - meanY);
  }
  const slope = sxx > 0 ? Math.max(0, sxy / sxx) : prior.slopeMsPerSeq;
  return { interceptMs: meanY - slope * meanX, slopeMsPerSeq: slope, numSamples: n };
}
