import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { BenchConfigError } from '../bench-config-error.js';
import type { BenchResultJson } from '../report/bench-result-json.js';
import { htmlReport } from '../report/html-report.js';
import { writeOutput } from './write-output.js';

/** `pdserve-bench report`: one HTML page comparing several JSON results. */
export function reportCommand(): Command {
  return new Command('report')
    .description('write an HTML report from one or more --result-json files')
    .requiredOption('--inputs <files...>', 'result JSON files')
    .requiredOption('--out <file>', 'HTML file to write')
    .option('--title <text>', 'page title', 'pdserve-bench report')
    .action(async (o: { inputs: string[]; out: string; title: string }) => {
      const results = await Promise.all(o.inputs.map(readResult));
      await writeOutput(o.out, htmlReport(results, o.title));
      process.stderr.write(`wrote ${o.out}\n`);
    });
}

/** Reads one result file, checking that it is one of ours. */
export async function readResult(path: string): Promise<BenchResultJson> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<BenchResultJson>;
  if (typeof parsed.label !== 'string' || !Array.isArray(parsed.ttfts) || !Array.isArray(parsed.outcomes)) {
    throw new BenchConfigError(`${path} is not a pdserve-bench result (no label, ttfts or outcomes)`);
  }
  return parsed as BenchResultJson;
}
