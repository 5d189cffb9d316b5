import { type Command, Option } from 'commander';
import { ENDPOINTS } from '../client/client-options.js';
import { DATASET_KINDS } from '../datasets/dataset-config.js';
import { collect, parse } from './option-parsers.js';

/** The raw option values commander produces for `serve` (and `sweep`, which adds its own). */
export interface RawServeOptions {
  baseUrl?: string;
  model: string;
  endpoint: string;
  apiKey?: string;
  header: string[];
  dataset: string;
  seed: number;
  numPrompts: number;
  randomInputLen: number;
  randomOutputLen: number;
  randomRangeRatio: number;
  prefixLen: number;
  numPrefixes: number;
  longFraction: number;
  longInputLen: number;
  longOutputLen: number;
  chatInputLen: number;
  chatOutputLen: number;
  sharegptInputMean: number;
  sharegptInputSigma: number;
  sharegptOutputMean: number;
  sharegptOutputSigma: number;
  sharegptMaxLen: number;
  calibrate: boolean;
  tokensPerWord: number;
  requestRate: number;
  burstiness: number;
  maxConcurrency?: number;
  numWarmups: number;
  durationLimit: number;
  goodput?: string[];
  percentiles: number[];
  ignoreEos: boolean;
  minTokens: boolean;
  temperature: number;
  continuousUsage: boolean;
  label?: string;
  quiet: boolean;
}

/** Adds the options shared by `serve` and `sweep` (everything that defines one run). */
export function addServeOptions(cmd: Command): Command {
  addTargetOptions(cmd);
  addDatasetOptions(cmd);
  addTrafficOptions(cmd);
  return cmd;
}

function addTargetOptions(cmd: Command): void {
  cmd
    .option(
      '--base-url <url>',
      'server address, e.g. http://127.0.0.1:8000 (the only address traffic goes to)',
    )
    .requiredOption('--model <name>', 'model name sent in every request')
    .addOption(new Option('--endpoint <path>', 'API path').choices(ENDPOINTS).default('/v1/completions'))
    .option('--api-key <key>', 'bearer token (default: $OPENAI_API_KEY when set)')
    .option('--header <name:value>', 'extra request header, repeatable (e.g. x-slo-ttft-ms:500)', collect, [])
    .option('--no-ignore-eos', 'do not send ignore_eos: true (outputs may stop before max_tokens)')
    .option('--min-tokens', 'also send min_tokens = max_tokens', false)
    .option('--temperature <t>', 'sampling temperature', parse.number, 0)
    .option('--continuous-usage', 'ask for usage in every chunk (vLLM continuous_usage_stats)', false);
}

function addDatasetOptions(cmd: Command): void {
  cmd
    .addOption(new Option('--dataset <name>', 'synthetic dataset').choices(DATASET_KINDS).default('random'))
    .option('--seed <n>', 'seed of prompts, lengths and arrivals', parse.nonNegativeInt, 0)
    .option('--num-prompts <n>', 'measured requests', parse.positiveInt, 100)
    .option(
      '--random-input-len <n>',
      'random/prefix: input tokens (prefix: after the prefix)',
      parse.positiveInt,
      1024,
    )
    .option('--random-output-len <n>', 'random/prefix: output tokens', parse.positiveInt, 128)
    .option(
      '--random-range-ratio <r>',
      'lengths uniform in len*(1-r)..len*(1+r), 0 <= r < 1',
      parse.number,
      0,
    )
    .option('--prefix-len <n>', 'prefix: shared prefix tokens', parse.positiveInt, 512)
    .option('--num-prefixes <n>', 'prefix: number of distinct prefixes (groups)', parse.positiveInt, 4)
    .option('--long-fraction <f>', 'mixed: share of long-document requests', parse.number, 0.2)
    .option('--long-input-len <n>', 'mixed: long-document input tokens', parse.positiveInt, 1024)
    .option('--long-output-len <n>', 'mixed: long-document output tokens', parse.positiveInt, 32)
    .option('--chat-input-len <n>', 'mixed: chat input tokens', parse.positiveInt, 128)
    .option('--chat-output-len <n>', 'mixed: chat output tokens', parse.positiveInt, 128)
    .option('--sharegpt-input-mean <n>', 'sharegpt-like: mean input tokens', parse.positive, 161)
    .option('--sharegpt-input-sigma <s>', 'sharegpt-like: log-space sigma of inputs', parse.positive, 1.1)
    .option('--sharegpt-output-mean <n>', 'sharegpt-like: mean output tokens', parse.positive, 338)
    .option('--sharegpt-output-sigma <s>', 'sharegpt-like: log-space sigma of outputs', parse.positive, 0.9)
    .option('--sharegpt-max-len <n>', 'sharegpt-like: largest input + output', parse.positiveInt, 2048)
    .option('--calibrate', "fit prompt words to the server's tokenizer via its /tokenize first", false)
    .option('--tokens-per-word <x>', 'tokens per prompt word without --calibrate', parse.positive, 1);
}

function addTrafficOptions(cmd: Command): void {
  cmd
    .option(
      '--request-rate <r>',
      "mean requests/s (Poisson, or gamma with --burstiness); 'inf' = all at once",
      parse.rate,
      Number.POSITIVE_INFINITY,
    )
    .option('--burstiness <b>', 'gamma shape of inter-arrivals: 1 Poisson, < 1 burstier', parse.positive, 1)
    .option('--max-concurrency <n>', 'most requests in flight at once', parse.positiveInt)
    .option('--num-warmups <n>', 'warm-up requests sent first, not counted', parse.nonNegativeInt, 0)
    .option(
      '--duration-limit <s>',
      'hard bound on the run in seconds: stop sending, abort in-flight',
      parse.positive,
      300,
    )
    .option('--goodput <target...>', 'SLO targets ttft:MS tpot:MS e2el:MS (any subset)')
    .option('--percentiles <list>', 'reported percentiles, comma-separated', parse.percentiles, [50, 90, 99])
    .option('--label <name>', 'series name in reports (default: the model name)')
    .option('--quiet', 'no progress output', false);
}
