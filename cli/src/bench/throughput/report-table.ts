import { printTable } from '../bench-output.js';
import type { Json, ThroughputReport } from './throughput-report.js';

const num = (r: ThroughputReport, key: string): number =>
  typeof r[key] === 'number' ? (r[key] as number) : Number.NaN;
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
/** Integers print as such (printTable gives numbers below 100 two decimals). */
const cell = (x: number): string | number => (Number.isInteger(x) ? String(x) : x);

/** Prints a `bench throughput` report as tables: engine vs baseline, step time split, sampler cost. */
export function printThroughputReport(r: ThroughputReport): void {
  const hasBaseline = r.baseline === 'static';
  console.log(
    `model ${r.model} (${r.dtype}, KV ${r.kv_dtype}), ${r.num_prompts} prompts, input ${r.input_len}, output ${r.output_len}, ` +
      `range ratio ${r.range_ratio}, prefix ${r.prefix_len}, KV cap ${r.kv_cache_gb} GiB = ${r.num_kv_blocks} blocks, ` +
      `max model len ${r.max_model_len}, sampler ${r.sampler_isa}`,
  );
  const rows: (string | number)[][] = [['', 'engine', ...(hasBaseline ? ['static baseline'] : [])]];
  const both = (label: string, a: string, b: string) =>
    rows.push([label, cell(num(r, a)), ...(hasBaseline ? [cell(num(r, b))] : [])]);
  both('requests/s', 'requests_per_s', 'baseline_requests_per_s');
  both('output tok/s', 'output_tokens_per_s', 'baseline_output_tokens_per_s');
  both('total tok/s', 'total_tokens_per_s', 'baseline_total_tokens_per_s');
  both('mean batch size (seqs/step)', 'mean_batch_size', 'baseline_batch_size');
  rows.push([
    'KV waste',
    pct(num(r, 'kv_waste')),
    ...(hasBaseline ? [pct(num(r, 'baseline_kv_waste'))] : []),
  ]);
  rows.push(['prefix hit rate', pct(num(r, 'prefix_hit_rate')), ...(hasBaseline ? ['-'] : [])]);
  both('requests with exact output length', 'num_completed', 'baseline_num_completed');
  both('elapsed s', 'elapsed_s', 'baseline_elapsed_s');
  rows.push(['preemptions (recomputed)', cell(num(r, 'num_preemptions')), ...(hasBaseline ? ['-'] : [])]);
  rows.push(['tokens computed', cell(num(r, 'num_computed_tokens')), ...(hasBaseline ? ['-'] : [])]);
  printTable(rows);
  console.log('');
  printTable([
    ['steady-state step time', 'share'],
    ['runner (model forward)', pct(num(r, 'runner_frac'))],
    ['sampler', pct(num(r, 'sampler_frac'))],
    ['scheduler + bookkeeping', pct(num(r, 'scheduler_overhead_frac'))],
    ['mean step ms', num(r, 'mean_step_ms')],
  ]);
  console.log('');
  const ratios: (string | number)[][] = [['ratio', 'value']];
  ratios.push(['batch-1 decode tok/s (same engine, median step)', num(r, 'batch1_decode_tokens_per_s')]);
  ratios.push(['batch-1 decode tok/s (same engine, mean)', num(r, 'batch1_decode_tokens_per_s_mean')]);
  ratios.push(['output tok/s / batch-1 decode tok/s', num(r, 'speedup_vs_batch1')]);
  if (hasBaseline) ratios.push(['output tok/s / static baseline', num(r, 'speedup_vs_baseline')]);
  ratios.push(['by CPU time: engine / batch-1 decode', num(r, 'speedup_vs_batch1_cpu')]);
  if (hasBaseline) ratios.push(['by CPU time: engine / static baseline', num(r, 'speedup_vs_baseline_cpu')]);
  printTable(ratios);
  printSamplerCost(r.sampler_cost);
}

function printSamplerCost(cost: Json | undefined): void {
  if (!Array.isArray(cost) || cost.length === 0) return;
  console.log('');
  const rows: (string | number)[][] = [['sampler ms/row (64 rows)', 'TypeScript', 'native']];
  for (const c of cost) {
    if (c === null || typeof c !== 'object' || Array.isArray(c)) continue;
    rows.push([String(c.setting), Number(c.ts_ms_per_row), Number(c.native_ms_per_row)]);
  }
  printTable(rows);
}
