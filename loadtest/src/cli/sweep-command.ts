import { join } from 'node:path';
import Table from 'cli-table3';
import { Command } from 'commander';
import { BenchConfigError } from '../bench-config-error.js';
import type { BenchResultJson } from '../report/bench-result-json.js';
import { htmlReport } from '../report/html-report.js';
import { resultTable } from '../report/result-table.js';
import { runServe } from '../run/run-serve.js';
import { collect, parse } from './option-parsers.js';
import { serveConfig } from './serve-config.js';
import { addServeOptions, type RawServeOptions } from './serve-options.js';
import { writeOutput } from './write-output.js';

interface RawSweepOptions extends RawServeOptions {
  rates: number[];
  series: string[];
  outDir: string;
  title: string;
}

/**
 * `pdserve-bench sweep`: `serve` at each rate for each series (name=baseUrl, or the one
 * --base-url), one after another; writes every result as JSON, an index and the comparison report.
 */
export function sweepCommand(): Command {
  const cmd = new Command('sweep').description('run serve at several request rates, per series, and compare');
  addServeOptions(cmd)
    .requiredOption(
      '--rates <list>',
      "comma-separated request rates, e.g. 1,2,4,8 ('inf' allowed)",
      parse.rates,
    )
    .option(
      '--series <name=url>',
      'a named endpoint, repeatable (default: one series at --base-url)',
      collect,
      [],
    )
    .requiredOption('--out-dir <dir>', 'folder for <series>/rate-<r>.json, index.json and report.html')
    .option('--title <text>', 'report title', 'pdserve-bench sweep')
    .action(async (raw: RawSweepOptions) => {
      const results: BenchResultJson[] = [];
      for (const s of sweepSeries(raw)) {
        for (const rate of raw.rates) {
          const config = serveConfig({ ...raw, baseUrl: s.baseUrl, label: s.name, requestRate: rate });
          const result = await runServe(config);
          process.stdout.write(`${resultTable(result)}\n`);
          await writeOutput(join(raw.outDir, resultFile(s.name, rate)), `${JSON.stringify(result)}\n`);
          results.push(result);
        }
      }
      await writeSweepOutputs(raw, results);
    });
  return cmd;
}

/** The series of a sweep: each --series name=url, else one named by --label/--model at --base-url. */
export function sweepSeries(raw: RawSweepOptions): Array<{ name: string; baseUrl: string }> {
  if (raw.series.length === 0) {
    if (!raw.baseUrl) throw new BenchConfigError('sweep needs --base-url or at least one --series name=url');
    return [{ name: raw.label ?? raw.model, baseUrl: raw.baseUrl }];
  }
  return raw.series.map((item) => {
    const i = item.indexOf('=');
    const name = item.slice(0, i).trim();
    if (i <= 0 || !/^[\w.-]+$/.test(name)) {
      throw new BenchConfigError(
        `--series takes name=url with a name of letters, digits, '.', '_' or '-', got '${item}'`,
      );
    }
    return { name, baseUrl: item.slice(i + 1).trim() };
  });
}

function resultFile(series: string, rate: number): string {
  return join(series, `rate-${Number.isFinite(rate) ? rate : 'inf'}.json`);
}

async function writeSweepOutputs(raw: RawSweepOptions, results: readonly BenchResultJson[]): Promise<void> {
  const index = results.map((r) => ({
    label: r.label,
    request_rate: r.request_rate,
    file: resultFile(r.label, r.request_rate === 'inf' ? Number.POSITIVE_INFINITY : r.request_rate),
    request_throughput: r.request_throughput,
    request_goodput: r.request_goodput,
    p99_ttft_ms: r.p99_ttft_ms,
    completed: r.completed,
    rejected: r.rejected,
    failed: r.failed,
  }));
  await writeOutput(join(raw.outDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  await writeOutput(join(raw.outDir, 'report.html'), htmlReport(results, raw.title));
  const t = new Table({
    head: ['series', 'rate', 'req/s', 'goodput', 'p99 TTFT ms', 'rejected', 'failed'],
    style: { head: [], border: [] },
  });
  for (const row of index) {
    const f = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(2) : '-');
    t.push([
      row.label,
      String(row.request_rate),
      f(row.request_throughput),
      f(row.request_goodput),
      f(row.p99_ttft_ms),
      row.rejected,
      row.failed,
    ]);
  }
  process.stdout.write(`${t.toString()}\nwrote ${join(raw.outDir, 'report.html')}\n`);
}
