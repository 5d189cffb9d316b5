import type { LoadReport } from '@pdserve/protocol';

/** The measured decode step time at the batch size nearest to `batchSize` (0 when none measured). */
export function decodeStepMsAt(load: LoadReport, batchSize: number): number {
  let best: { distance: number; stepMs: number } | null = null;
  for (const sample of load.decodeStepMs) {
    const distance = Math.abs(sample.batchSize - batchSize);
    if (best === null || distance < best.distance) best = { distance, stepMs: sample.stepMs };
  }
  return best?.stepMs ?? 0;
}

/** Milliseconds to prefill `tokens` at the instance's measured speed (0 when not measured yet). */
export function prefillMs(load: LoadReport, tokens: number): number {
  return load.prefillTokensPerS > 0 ? (tokens * 1000) / load.prefillTokensPerS : 0;
}
