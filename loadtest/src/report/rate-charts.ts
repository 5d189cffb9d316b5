import type { BenchResultJson } from './bench-result-json.js';
import { groupByLabel, percentileMs, rateOf } from './result-views.js';
import { svgLineChart } from './svg-line-chart.js';

/**
 * Goodput (or request throughput, when no run had goodput targets) and p99 TTFT against request
 * rate, one line per series. Runs at rate 'inf' have no x position and are left out. Empty when
 * fewer than two finite rates were run.
 */
export function rateCharts(results: readonly BenchResultJson[]): string[] {
  const finite = results.filter((r) => Number.isFinite(rateOf(r)));
  if (new Set(finite.map(rateOf)).size < 2) return [];
  const groups = [...groupByLabel(finite)];
  const withGoodput = finite.some((r) => r.request_goodput !== null);
  const ttftTarget = finite.find((r) => r.goodput_config?.ttft !== undefined)?.goodput_config?.ttft;
  const goodput = svgLineChart({
    title: withGoodput ? 'Goodput vs request rate' : 'Request throughput vs request rate',
    xLabel: 'request rate (req/s)',
    yLabel: withGoodput ? 'goodput (req/s)' : 'throughput (req/s)',
    markers: true,
    series: groups.map(([name, rs]) => ({
      name,
      points: rs.map(
        (r) => [rateOf(r), withGoodput ? (r.request_goodput ?? 0) : r.request_throughput] as const,
      ),
    })),
  });
  const ttft = svgLineChart({
    title: 'p99 TTFT vs request rate',
    xLabel: 'request rate (req/s)',
    yLabel: 'p99 TTFT (ms)',
    markers: true,
    references: ttftTarget === undefined ? [] : [{ y: ttftTarget, label: `TTFT target ${ttftTarget} ms` }],
    series: groups.map(([name, rs]) => ({
      name,
      points: rs
        .map((r) => [rateOf(r), percentileMs(r.ttfts, 99)] as const)
        .filter(([, v]) => !Number.isNaN(v)),
    })),
  });
  return [goodput, ttft];
}
