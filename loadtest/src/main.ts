#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { BenchConfigError } from './bench-config-error.js';
import { reportCommand } from './cli/report-command.js';
import { serveCommand } from './cli/serve-command.js';
import { sweepCommand } from './cli/sweep-command.js';
import { CalibrationError } from './client/calibrate-tokens-per-word.js';

/** The pdserve-bench command line: serve, sweep, report. */
const program = new Command('pdserve-bench')
  .description('bench-serve style load tests against OpenAI-compatible endpoints (pdserve, vLLM, llama.cpp)')
  .addCommand(serveCommand())
  .addCommand(sweepCommand())
  .addCommand(reportCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof BenchConfigError || error instanceof CalibrationError) {
    process.stderr.write(
      `pdserve-bench: ${error.message}${error.cause ? ` (${String(error.cause)})` : ''}\n`,
    );
    process.exitCode = 2;
  } else if (!(error instanceof CommanderError)) {
    throw error;
  }
}
