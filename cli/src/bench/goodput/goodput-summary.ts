import type { BenchResultJson } from '@pdserve/loadtest';
import type { GoodputConfig, Targets } from './goodput-plan.js';

/** One run's numbers in the summary. */
export interface GoodputRow {
  config: string;
  rate: number;
  completed: number;
  rejected: number;
  failed: number;
  notSent: number;
  goodput: number;
  throughput: number;
  /** Share of the requests sent that met both targets. */
  attainment: number;
  /** Over the completed (admitted) requests, ms. */
  p99TtftMs: number | null;
  p99TpotMs: number | null;
}

/** The bars of the issue, checked on one run of the experiment. */
export interface GoodputBars {
  peakGoodput: Record<string, number>;
  /** SLO-aware peak goodput / round-robin peak goodput (bar: >= 1.5). */
  sloVsRoundRobin: number;
  /** SLO-aware peak goodput / fixed disaggregated peak goodput (bar: > 1). */
  sloVsHeuristic: number;
  /** Rates at which the SLO-aware router's admitted requests had p99 TTFT over the target. */
  sloTtftMisses: number[];
  met: { vsRoundRobin: boolean; vsHeuristic: boolean; ttft: boolean };
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** The summary rows of every measured run. */
export function goodputRows(runs: readonly BenchResultJson[]): GoodputRow[] {
  return runs.map((r) => {
    const sent = r.completed + r.rejected + r.failed;
    return {
      config: r.label,
      rate: r.request_rate === 'inf' ? Number.POSITIVE_INFINITY : r.request_rate,
      completed: r.completed,
      rejected: r.rejected,
      failed: r.failed,
      notSent: r.not_sent,
      goodput: r.request_goodput ?? 0,
      throughput: r.request_throughput,
      attainment: sent + r.not_sent > 0 ? r.good / (sent + r.not_sent) : 0,
      p99TtftMs: r.completed > 0 ? finite(r.p99_ttft_ms) : null,
      p99TpotMs: r.completed > 0 ? finite(r.p99_tpot_ms) : null,
    };
  });
}

/**
 * The bars: peak goodput over the sweep of each configuration (DistServe compares the highest
 * rate served within the SLO; here the best goodput reached at any swept rate), the SLO-aware
 * router's against round-robin (>= 1.5x) and the fixed policy (above), and its admitted requests'
 * p99 TTFT within the target at every rate.
 */
export function goodputBars(
  rows: readonly GoodputRow[],
  configs: readonly GoodputConfig[],
  targets: Targets,
): GoodputBars {
  const peakGoodput: Record<string, number> = {};
  for (const c of configs)
    peakGoodput[c.name] = Math.max(0, ...rows.filter((r) => r.config === c.name).map((r) => r.goodput));
  const byPolicy = (p: GoodputConfig['policy']) =>
    peakGoodput[configs.find((c) => c.policy === p)?.name ?? ''] ?? 0;
  const slo = byPolicy('slo');
  const ratio = (a: number, b: number) => (b > 0 ? a / b : a > 0 ? Number.POSITIVE_INFINITY : 0);
  const sloName = configs.find((c) => c.policy === 'slo')?.name;
  const sloTtftMisses = rows
    .filter((r) => r.config === sloName && r.p99TtftMs !== null && r.p99TtftMs > targets.ttftMs)
    .map((r) => r.rate);
  const sloVsRoundRobin = ratio(slo, byPolicy('round-robin'));
  const sloVsHeuristic = ratio(slo, byPolicy('heuristic'));
  return {
    peakGoodput,
    sloVsRoundRobin,
    sloVsHeuristic,
    sloTtftMisses,
    met: {
      vsRoundRobin: sloVsRoundRobin >= 1.5,
      vsHeuristic: sloVsHeuristic > 1,
      ttft: sloTtftMisses.length === 0,
    },
  };
}
