#!/usr/bin/env node
import { Command } from 'commander';
import { benchCommand } from './commands/bench-throughput.js';
import { convertCommand } from './commands/convert.js';
import { generateCommand } from './commands/generate.js';
import { makeModelCommand } from './commands/make-model.js';
import { serveCommand } from './commands/serve.js';

// Exit (rather than die) on signals so native resources such as the shared-memory KV pool are released.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));

const program = new Command('pdserve')
  .description('pdserve: disaggregated prefill/decode LLM serving')
  .version('0.1.0')
  .addCommand(generateCommand())
  .addCommand(convertCommand())
  .addCommand(makeModelCommand())
  .addCommand(benchCommand())
  .addCommand(serveCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`pdserve: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
