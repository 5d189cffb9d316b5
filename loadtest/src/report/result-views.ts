import { percentile } from '../metrics/percentile.js';
import type { BenchResultJson } from './bench-result-json.js';

/** Numeric request rate of a result (Infinity for 'inf'). */
export function rateOf(r: BenchResultJson): number {
  return r.request_rate === 'inf' ? Number.POSITIVE_INFINITY : r.request_rate;
}

/** Results grouped by label, in first-seen order, each group sorted by request rate. */
export function groupByLabel(results: readonly BenchResultJson[]): Map<string, BenchResultJson[]> {
  const groups = new Map<string, BenchResultJson[]>();
  for (const r of results) groups.set(r.label, [...(groups.get(r.label) ?? []), r]);
  for (const g of groups.values()) g.sort((a, b) => rateOf(a) - rateOf(b));
  return groups;
}

/** Completed requests' values of a per-request array, in milliseconds, ascending. */
export function sortedMs(values: readonly (number | null)[]): number[] {
  return values
    .filter((v): v is number => v !== null)
    .map((v) => v * 1000)
    .sort((a, b) => a - b);
}

/** The p-th percentile in ms of a per-request array in seconds (NaN when empty). */
export function percentileMs(values: readonly (number | null)[], p: number): number {
  return percentile(sortedMs(values), p);
}

/** CDF points (value, fraction <= value) of ascending values. */
export function cdfPoints(sorted: readonly number[]): Array<[number, number]> {
  return sorted.map((v, i) => [v, (i + 1) / sorted.length]);
}
