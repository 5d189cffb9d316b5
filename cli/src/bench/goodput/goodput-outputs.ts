import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchResultJson, htmlReport } from '@pdserve/loadtest';
import { printTable } from '../bench-output.js';
import type { Calibration } from './goodput-calibration.js';
import type { GoodputPlan, Targets } from './goodput-plan.js';
import { type GoodputBars, type GoodputRow, goodputBars, goodputRows } from './goodput-summary.js';
import { reportSvgs } from './report-svgs.js';

/** What one experiment produced. */
export interface GoodputOutcome {
  plan: GoodputPlan;
  targets: Targets;
  calibration: Omit<Calibration, 'runs'> | null;
  runs: BenchResultJson[];
  startedAt: string;
  elapsedS: number;
}

const RATE_SECTION = 'Goodput and TTFT vs request rate';

/**
 * Writes the experiment's files into plan.outDir (goodput.json with every number, report.html from
 * pdserve-bench's report, the two rate charts as standalone SVGs) and prints the table and bars.
 */
export function writeGoodputOutputs(o: GoodputOutcome): { rows: GoodputRow[]; bars: GoodputBars } {
  const rows = goodputRows(o.runs);
  const bars = goodputBars(rows, o.plan.configs, o.targets);
  const title = `pdserve goodput: TTFT <= ${o.targets.ttftMs} ms, TPOT <= ${o.targets.tpotMs} ms (mixed dataset)`;
  const html = htmlReport(o.runs, title);
  const dir = o.plan.outDir;
  writeFileSync(join(dir, 'report.html'), html);
  if (o.plan.rates.length > 1) {
    const [goodputSvg, ttftSvg] = reportSvgs(html, RATE_SECTION);
    writeFileSync(join(dir, 'goodput-vs-rate.svg'), goodputSvg ?? '');
    writeFileSync(join(dir, 'p99-ttft-vs-rate.svg'), ttftSvg ?? '');
  }
  const json = { ...o, rows, bars };
  writeFileSync(join(dir, 'goodput.json'), `${JSON.stringify(json, null, 1)}\n`);
  printGoodputTable(rows);
  printBars(bars, o.targets);
  return { rows, bars };
}

function printGoodputTable(rows: readonly GoodputRow[]): void {
  const head = ['config', 'rate', 'goodput', 'attain', 'ok', '429', 'failed', 'p99 TTFT', 'p99 TPOT'];
  const cell = (v: number | null) => (v === null ? '-' : v);
  printTable([
    head,
    ...rows.map((r) => [
      r.config,
      r.rate,
      r.goodput,
      r.attainment,
      r.completed,
      r.rejected,
      r.failed + r.notSent,
      cell(r.p99TtftMs),
      cell(r.p99TpotMs),
    ]),
  ]);
}

function printBars(b: GoodputBars, t: Targets): void {
  const yes = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const peaks = Object.entries(b.peakGoodput)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
  console.log(`\npeak goodput (req/s): ${peaks}`);
  console.log(
    `SLO-aware / round-robin colocated: ${b.sloVsRoundRobin.toFixed(2)}x (bar >= 1.5x: ${yes(b.met.vsRoundRobin)})`,
  );
  console.log(
    `SLO-aware / fixed disaggregated:   ${b.sloVsHeuristic.toFixed(2)}x (bar > 1x: ${yes(b.met.vsHeuristic)})`,
  );
  const misses = b.sloTtftMisses.length === 0 ? 'none' : b.sloTtftMisses.join(', ');
  console.log(
    `SLO-aware p99 TTFT of admitted requests over ${t.ttftMs} ms at rates: ${misses} (${yes(b.met.ttft)})`,
  );
}
