import { percentile } from './percentile.js';

/** Summary statistics of one latency (milliseconds); all 0 when there were no samples. */
export interface LatencyStats {
  count: number;
  mean: number;
  median: number;
  std: number;
  /** Keyed by the percentile as written, e.g. '90', '99', '99.9'. */
  percentiles: Record<string, number>;
}

/** Mean, median, population standard deviation and the requested percentiles of `values`. */
export function latencyStats(values: readonly number[], percentiles: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const pick = (p: number) => (n === 0 ? 0 : percentile(sorted, p));
  const mean = n === 0 ? 0 : sorted.reduce((s, v) => s + v, 0) / n;
  const variance = n === 0 ? 0 : sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  return {
    count: n,
    mean,
    median: pick(50),
    std: Math.sqrt(variance),
    percentiles: Object.fromEntries(percentiles.map((p) => [String(p), pick(p)])),
  };
}
