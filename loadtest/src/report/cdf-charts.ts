import type { BenchResultJson } from './bench-result-json.js';
import { cdfPoints, rateOf, sortedMs } from './result-views.js';
import { svgLineChart } from './svg-line-chart.js';

const METRICS = [
  { key: 'ttfts', name: 'TTFT', target: 'ttft' },
  { key: 'tpots', name: 'TPOT', target: 'tpot' },
  { key: 'e2els', name: 'E2E latency', target: 'e2el' },
] as const;

/**
 * Latency CDFs of TTFT, TPOT and E2E for one series: one line per run (named by its rate, or by
 * its label when the series has one run), with the goodput target (when set) as a
 * vertical reference line.
 */
export function cdfCharts(label: string, runs: readonly BenchResultJson[]): string[] {
  return METRICS.map((m) => {
    const target = runs.find((r) => r.goodput_config?.[m.target] !== undefined)?.goodput_config?.[m.target];
    return svgLineChart({
      title: `${m.name} CDF — ${label}`,
      xLabel: `${m.name} (ms)`,
      yLabel: 'fraction of completed requests',
      step: true,
      yRange: [0, 1],
      xReferences: target === undefined ? [] : [{ x: target, label: `target ${target} ms` }],
      series: runs.map((r) => ({
        name: runs.length === 1 ? r.label : `${formatRate(rateOf(r))} req/s`,
        points: cdfPoints(sortedMs(r[m.key])),
      })),
    });
  });
}

function formatRate(rate: number): string {
  return Number.isFinite(rate) ? String(rate) : 'inf';
}
