import Table from 'cli-table3';
import type { BenchResultJson } from './bench-result-json.js';

const METRICS: ReadonlyArray<[string, string]> = [
  ['ttft', 'TTFT (ms)'],
  ['tpot', 'TPOT (ms)'],
  ['itl', 'ITL (ms)'],
  ['e2el', 'E2E (ms)'],
];

const fmt = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);

/** The run as two text tables (counts and throughputs; latency statistics), for stdout. */
export function resultTable(r: BenchResultJson): string {
  return `${summaryTable(r)}\n${latencyTable(r)}`;
}

function summaryTable(r: BenchResultJson): string {
  const t = new Table({
    head: [`${r.label}: ${r.model_id} @ ${r.base_url}`, ''],
    style: { head: [], border: [] },
  });
  const reasons = Object.entries(r.failure_reasons)
    .map(([k, v]) => `${k} x${v}`)
    .join(', ');
  t.push(
    ['Dataset / request rate / burstiness', `${r.dataset} / ${r.request_rate} / ${r.burstiness}`],
    ['Max concurrency', r.max_concurrency === null ? 'unlimited' : String(r.max_concurrency)],
    ['Completed requests', String(r.completed)],
    ['Rejected requests (429)', String(r.rejected)],
    ['Failed requests', String(r.failed) + (reasons ? `  (${reasons})` : '')],
    ['Not sent (duration limit)', String(r.not_sent)],
    ['Benchmark duration (s)', fmt(r.duration)],
    ['Total input tokens', String(r.total_input_tokens)],
    ['Total generated tokens', String(r.total_output_tokens)],
    ['Request throughput (req/s)', fmt(r.request_throughput)],
    ['Request goodput (req/s)', goodputCell(r)],
    ['Output token throughput (tok/s)', fmt(r.output_throughput)],
    ['Total token throughput (tok/s)', fmt(r.total_token_throughput)],
  );
  return t.toString();
}

function goodputCell(r: BenchResultJson): string {
  if (r.request_goodput === null || r.goodput_config === null) return '- (no --goodput targets)';
  const targets = Object.entries(r.goodput_config)
    .map(([k, v]) => `${k}<=${v}ms`)
    .join(' ');
  return `${fmt(r.request_goodput)}  (${r.good} good: ${targets})`;
}

function latencyTable(r: BenchResultJson): string {
  const ps = r.percentiles.filter((p) => p !== 50);
  const t = new Table({
    head: ['metric', 'mean', 'median', ...ps.map((p) => `p${p}`)],
    style: { head: [], border: [] },
  });
  for (const [key, title] of METRICS) {
    const stat = (name: string) => r[`${name}_${key}_ms`];
    t.push([title, fmt(stat('mean')), fmt(stat('median')), ...ps.map((p) => fmt(stat(`p${p}`)))]);
  }
  return t.toString();
}
