import type { BenchResultJson } from './bench-result-json.js';
import { cdfCharts } from './cdf-charts.js';
import { escapeXml } from './escape-xml.js';
import { rateCharts } from './rate-charts.js';
import { groupByLabel, percentileMs } from './result-views.js';
import { svgTimeline } from './svg-timeline.js';

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 28px; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { background: #fff; border: 1px solid #ddd; }
svg .title { font-size: 14px; font-weight: 600; } svg .tick, svg .legend { font-size: 11px; }
svg .label { font-size: 12px; } svg .grid { stroke: #eee; } svg .axes { fill: none; stroke: #888; }
svg .reference { stroke: #d62728; stroke-dasharray: 5 4; } svg .reference-label { font-size: 11px; fill: #d62728; }
`;

/**
 * A self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched) for one or more
 * results: a summary table; goodput and p99 TTFT vs request rate when several rates were run;
 * TTFT/TPOT/E2E CDFs per series; and a request timeline per run.
 */
export function htmlReport(results: readonly BenchResultJson[], title = 'pdserve-bench report'): string {
  const groups = [...groupByLabel(results)];
  const rate = rateCharts(results);
  const body = [
    `<h1>${escapeXml(title)}</h1>`,
    `<p>${results.length} run(s), generated ${escapeXml(new Date().toISOString())}.</p>`,
    '<h2>Summary</h2>',
    summaryTable(results),
    ...(rate.length ? ['<h2>Goodput and TTFT vs request rate</h2>', charts(rate)] : []),
    '<h2>Latency distributions</h2>',
    ...groups.map(([label, runs]) => charts(cdfCharts(label, runs))),
    '<h2>Request timelines</h2>',
    ...results.map((r, i) => timeline(r, i === 0)),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${STYLE}</style></head>`,
    `<body>\n${body.join('\n')}\n</body>`,
    '</html>',
    '',
  ].join('\n');
}

function charts(svgs: readonly string[]): string {
  return `<div class="charts">\n${svgs.join('\n')}\n</div>`;
}

const COLUMNS = [
  'series',
  'rate (req/s)',
  'completed',
  'rejected',
  'failed',
  'duration (s)',
  'throughput (req/s)',
  'goodput (req/s)',
  'mean TTFT (ms)',
  'p99 TTFT (ms)',
  'mean TPOT (ms)',
  'p99 TPOT (ms)',
  'p99 E2E (ms)',
];

function summaryTable(results: readonly BenchResultJson[]): string {
  const f = (v: number | null) => (v === null || Number.isNaN(v) ? '-' : v.toFixed(2));
  const rows = results.map((r) =>
    [
      escapeXml(r.label),
      String(r.request_rate),
      String(r.completed),
      String(r.rejected),
      String(r.failed + r.not_sent),
      f(r.duration),
      f(r.request_throughput),
      f(r.request_goodput),
      f(r[`mean_ttft_ms`]),
      f(percentileMs(r.ttfts, 99)),
      f(r[`mean_tpot_ms`]),
      f(percentileMs(r.tpots, 99)),
      f(percentileMs(r.e2els, 99)),
    ]
      .map((c) => `<td>${c}</td>`)
      .join(''),
  );
  const head = COLUMNS.map((c) => `<th>${c}</th>`).join('');
  return `<table>\n<tr>${head}</tr>\n${rows.map((r) => `<tr>${r}</tr>`).join('\n')}\n</table>`;
}

function timeline(r: BenchResultJson, open: boolean): string {
  const rows = r.outcomes.map((outcome, i) => ({
    outcome,
    scheduled: r.scheduled_times[i],
    sent: r.start_times[i],
    firstToken: r.first_token_times[i],
    end: r.end_times[i],
  }));
  const name = `${r.label} @ ${r.request_rate} req/s`;
  return `<details${open ? ' open' : ''}><summary>${escapeXml(name)}</summary>\n${svgTimeline(`Timeline — ${name}`, rows)}\n</details>`;
}
