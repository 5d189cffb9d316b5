import { Command } from 'commander';
import { writeResult } from '../bench/bench-output.js';
import { printThroughputReport } from '../bench/throughput/report-table.js';
import { runThroughputBench, type ThroughputBenchOptions } from '../bench/throughput/throughput-bench.js';
import { choiceOption, intOption, numberOption } from '../options.js';

type CliOptions = Omit<ThroughputBenchOptions, 'baseline' | 'log' | 'temperature'> & {
  baseline?: 'static';
  json?: boolean;
};

/** `pdserve bench throughput`: offline throughput of the engine on random prompts (vLLM's bench throughput). */
export function benchThroughputCommand(): Command {
  return new Command('throughput')
    .description('offline throughput on random prompts, with an optional static-batching baseline')
    .requiredOption('--model <path>', 'llama2.c checkpoint, HF directory or GGUF file')
    .option('--tokenizer <path>', 'tokenizer file (llama2.c models)')
    .option('--num-prompts <n>', 'requests', intOption(1), 256)
    .option('--input-len <n>', 'prompt tokens (after the prefix)', intOption(1), 128)
    .option('--output-len <n>', 'generated tokens per request', intOption(1), 128)
    .option(
      '--range-ratio <r>',
      'lengths uniform in [len * (1 - r), len * (1 + r)]',
      numberOption(0, 0.999),
      0,
    )
    .option('--prefix-len <n>', 'random prefix shared by every prompt', intOption(0), 0)
    .option('--kv-cache-gb <g>', 'KV cache cap in GiB', numberOption(1e-9, 1024), 1)
    .option('--max-model-len <n>', 'longest sequence (default: the model maximum)', intOption(1))
    .option(
      '--dtype <dtype>',
      'weights in memory: f32, bf16 or q8_0',
      choiceOption(['f32', 'bf16', 'q8_0'] as const),
      'f32',
    )
    .option(
      '--kv-dtype <dtype>',
      'KV cache elements: f32 or bf16',
      choiceOption(['f32', 'bf16'] as const),
      'f32',
    )
    .option('--max-num-seqs <n>', 'sequences per step (engine default 256)', intOption(1))
    .option('--max-num-batched-tokens <n>', 'tokens per step (engine default 2048)', intOption(1))
    .option('--seed <n>', 'dataset and sampling seed', intOption(0), 0)
    .option('--baseline <kind>', 'also run a baseline: static', choiceOption(['static'] as const))
    .option('--json', 'print one JSON object')
    .action(runBenchThroughput);
}

/** `pdserve bench`: the benchmark commands. */
export function benchCommand(): Command {
  return new Command('bench').description('benchmarks').addCommand(benchThroughputCommand());
}

async function runBenchThroughput(o: CliOptions): Promise<void> {
  const { json, baseline, ...rest } = o;
  const { report } = await runThroughputBench({
    ...rest,
    baseline: baseline ?? null,
    log: json ? undefined : (line) => console.error(`[bench throughput] ${line}`),
  });
  const path = writeResult('throughput', report);
  if (json) {
    console.log(JSON.stringify(report));
  } else {
    printThroughputReport(report);
    console.log(`\nwrote ${path}`);
  }
}
