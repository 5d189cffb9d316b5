import { Command } from 'commander';
import { htmlReport } from '../report/html-report.js';
import { resultTable } from '../report/result-table.js';
import { runServe } from '../run/run-serve.js';
import { serveConfig } from './serve-config.js';
import { addServeOptions, type RawServeOptions } from './serve-options.js';
import { writeOutput } from './write-output.js';

/** `pdserve-bench serve`: one run against one endpoint; prints the table, writes JSON/HTML. */
export function serveCommand(): Command {
  const cmd = new Command('serve').description(
    'benchmark one OpenAI-compatible endpoint (streamed requests)',
  );
  addServeOptions(cmd)
    .option('--result-json <file>', 'write the result as one JSON object')
    .option('--result-html <file>', 'write a self-contained HTML report with charts')
    .action(async (raw: RawServeOptions & { resultJson?: string; resultHtml?: string }) => {
      const config = serveConfig(raw);
      const result = await runServe(config);
      process.stdout.write(`${resultTable(result)}\n`);
      if (raw.resultJson) await writeOutput(raw.resultJson, `${JSON.stringify(result)}\n`);
      if (raw.resultHtml)
        await writeOutput(raw.resultHtml, htmlReport([result], `pdserve-bench: ${config.label}`));
    });
  return cmd;
}
