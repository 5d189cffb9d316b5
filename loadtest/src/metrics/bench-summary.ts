import { type GoodputTargets, meetsTargets } from './goodput-targets.js';
import { type LatencyStats, latencyStats } from './latency-stats.js';
import type { RequestResult } from './request-result.js';

/** The aggregate numbers of one run. Throughputs are per second of the benchmark duration. */
export interface BenchSummary {
  durationS: number;
  completed: number;
  failed: number;
  rejected: number;
  /** Scheduled requests never sent because the duration limit came first. */
  notSent: number;
  /** Completed requests that met every goodput target. */
  good: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  requestThroughput: number;
  /** good / duration; null when no goodput targets were given. */
  requestGoodput: number | null;
  outputThroughput: number;
  totalTokenThroughput: number;
  ttft: LatencyStats;
  tpot: LatencyStats;
  itl: LatencyStats;
  e2el: LatencyStats;
  /** Failed and rejected requests by reason (the error up to its first ':'). */
  failureReasons: Record<string, number>;
}

/**
 * Aggregates a run's results. Only completed requests enter the latency statistics and token
 * totals; rejected (429) and failed requests are counted, not timed.
 */
export function benchSummary(
  results: readonly RequestResult[],
  notSent: number,
  durationS: number,
  targets: GoodputTargets | null,
  percentiles: readonly number[],
): BenchSummary {
  const ok = results.filter((r) => r.outcome === 'ok');
  const totalInputTokens = ok.reduce((s, r) => s + r.promptLen, 0);
  const totalOutputTokens = ok.reduce((s, r) => s + r.outputTokens, 0);
  const good = ok.filter((r) => meetsTargets(r, targets ?? {})).length;
  const per = (x: number) => (durationS > 0 ? x / durationS : 0);
  const values = (f: (r: RequestResult) => number | null) => ok.map(f).filter((v): v is number => v !== null);
  return {
    durationS,
    completed: ok.length,
    failed: results.filter((r) => r.outcome === 'failed').length,
    rejected: results.filter((r) => r.outcome === 'rejected').length,
    notSent,
    good,
    totalInputTokens,
    totalOutputTokens,
    requestThroughput: per(ok.length),
    requestGoodput: targets === null ? null : per(good),
    outputThroughput: per(totalOutputTokens),
    totalTokenThroughput: per(totalInputTokens + totalOutputTokens),
    ttft: latencyStats(
      values((r) => r.ttftMs),
      percentiles,
    ),
    tpot: latencyStats(
      values((r) => r.tpotMs),
      percentiles,
    ),
    itl: latencyStats(
      ok.flatMap((r) => r.itlsMs),
      percentiles,
    ),
    e2el: latencyStats(
      values((r) => r.e2eMs),
      percentiles,
    ),
    failureReasons: failureReasons(results),
  };
}

function failureReasons(results: readonly RequestResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    if (r.outcome === 'ok') continue;
    const reason = (r.error ?? r.outcome).split(':')[0];
    out[reason] = (out[reason] ?? 0) + 1;
  }
  return out;
}
