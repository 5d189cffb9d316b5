import type { OptionPrediction } from './cost-model.js';

/** A request's resolved latency targets (its hints, else the router's defaults), ms. */
export interface SloTargets {
  ttftMs: number;
  tpotMs: number;
}

/** Why an option cannot take the request. */
export type OptionMiss = 'ttft' | 'tpot' | 'running-tpot' | 'kv';

/** How one option fares against the targets. */
export interface OptionVerdict {
  prediction: OptionPrediction;
  misses: OptionMiss[];
  /**
   * The smallest slack left, as a fraction of its target, over the request's TTFT and TPOT and
   * the running requests' TPOT (negative when missed). The policy places where it is largest.
   */
  headroom: number;
  /** Milliseconds by which the predicted TTFT passes its budget (0 when it fits). */
  ttftExcessMs: number;
}

/** The share of each target the router plans to (0..1]: a margin for prediction error. */
export interface PlanFractions {
  ttft: number;
  tpot: number;
}

/**
 * Judges a prediction against the targets, planned to `plan` of each; `elapsedMs` is the time the
 * request already spent before this decision (gateway, router queue), taken from its TTFT budget.
 * An idle decode side waives the request's own TPOT check. The new request must meet its own
 * TTFT and TPOT, and its arrival must not push the requests already decoding there past the
 * tightest of their TPOT targets. Pure.
 */
export function judgeOption(
  prediction: OptionPrediction,
  targets: SloTargets,
  plan: PlanFractions,
  elapsedMs: number,
): OptionVerdict {
  const ttftBudget = targets.ttftMs * plan.ttft - elapsedMs;
  const tpotBudget = targets.tpotMs * plan.tpot;
  const running = prediction.runningTpotTargetMs;
  const slacks = [
    (ttftBudget - prediction.ttftMs) / targets.ttftMs,
    (tpotBudget - prediction.tpotMs) / targets.tpotMs,
  ];
  const misses: OptionMiss[] = [];
  if (prediction.ttftMs > ttftBudget) misses.push('ttft');
  // Alone on an idle decode instance, its TPOT is the best that instance gives (waiting cannot
  // improve it) and nobody runs there to harm: not a reason to refuse.
  if (prediction.tpotMs > tpotBudget && !prediction.decodeIdle) misses.push('tpot');
  if (running !== null) {
    slacks.push((running * plan.tpot - prediction.runningTpotMs) / running);
    if (prediction.runningTpotMs > running * plan.tpot) misses.push('running-tpot');
  }
  if (!prediction.kvFits) misses.push('kv');
  return {
    prediction,
    misses,
    headroom: Math.min(...slacks),
    ttftExcessMs: Math.max(0, prediction.ttftMs - ttftBudget),
  };
}
