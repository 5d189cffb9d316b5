import { Command } from 'commander';
import { choiceOption, intOption } from '../options.js';
import { ServeCluster } from '../serve/serve-cluster.js';
import { readServeConfigFile, SERVE_DEFAULTS, type ServeConfig } from '../serve/serve-config.js';

interface ServeFlags {
  model?: string;
  tokenizer?: string;
  servedModelName?: string;
  prefill?: number;
  decode?: number;
  port?: number;
  host?: string;
  apiKey?: string[];
  natsPort?: number;
  numBlocks?: number;
  maxModelLen?: number;
  policy?: 'heuristic' | 'slo' | 'round-robin';
  config?: string;
  verbose?: boolean;
  metricsPort?: number;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `pdserve serve`: NATS, engine instances, router and gateway on this machine, until Ctrl-C. */
export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'serve a model behind an OpenAI-compatible endpoint: nats-server, router, prefill, decode, gateway',
    )
    .option('--model <path>', 'llama2.c checkpoint, HF directory or GGUF file (default models/stories260K)')
    .option('--tokenizer <path>', 'tokenizer file (llama2.c models)')
    .option('--served-model-name <name>', 'model name in requests (default: the file name)')
    .option('--prefill <n>', 'prefill instances (default 1; 0: colocated instances only)', intOption(0, 64))
    .option('--decode <n>', 'decode instances (default 1)', intOption(1, 64))
    .option('--port <port>', 'gateway HTTP port (0: any free port; default 8000)', intOption(0, 65535))
    .option('--host <addr>', 'gateway HTTP address (default 127.0.0.1)')
    .option('--api-key <key>', 'accepted API key (repeatable; default: none, open)', collect)
    .option('--nats-port <port>', 'NATS port (default: any free port)', intOption(0, 65535))
    .option('--num-blocks <n>', 'KV blocks per instance', intOption(1))
    .option('--max-model-len <n>', 'longest prompt + output', intOption(1))
    .option(
      '--policy <name>',
      'routing policy: heuristic, slo (SLO-aware, admission control) or round-robin (default heuristic)',
      choiceOption(['heuristic', 'slo', 'round-robin'] as const),
    )
    .option(
      '--metrics-port <port>',
      'first /metrics port of router, engines and agent, one each (default 0: any free ports; printed)',
      intOption(0, 65535),
    )
    .option('--config <file>', 'JSON file with these settings (flags win)')
    .option('--verbose', 'show every log line')
    .action(runServe);
}

function resolveConfig(flags: ServeFlags): ServeConfig {
  const file = flags.config === undefined ? {} : readServeConfigFile(flags.config);
  const { config: _c, apiKey, ...rest } = flags;
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return { ...SERVE_DEFAULTS, ...file, ...given, ...(apiKey === undefined ? {} : { apiKeys: apiKey }) };
}

function banner(cluster: ServeCluster, config: ServeConfig, models: string): string {
  const auth = config.apiKeys.length > 0 ? ` -H 'Authorization: Bearer ${config.apiKeys[0]}'` : '';
  const topology =
    config.prefill === 0
      ? `${config.decode} colocated`
      : `${config.prefill} prefill + ${config.decode} decode`;
  return [
    '',
    `pdserve is serving ${models} at ${cluster.url} (${topology}; NATS at ${cluster.nats.url})`,
    'Try:',
    `  curl ${cluster.url}/v1/completions -H 'Content-Type: application/json'${auth} \\`,
    `    -d '{"prompt": "Once upon a time", "max_tokens": 32, "temperature": 0}'`,
    `Status page: ${cluster.url}/dashboard`,
    `Metrics: ${[...cluster.metricsUrls].map(([name, url]) => `${name}=${url}`).join(' ')}`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}

/** Resolves on the first SIGINT or SIGTERM (replacing the CLI's exit-at-once handlers). */
function stopSignal(): Promise<NodeJS.Signals> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(signal);
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => resolve(signal));
  });
}

async function runServe(flags: ServeFlags): Promise<void> {
  const config = resolveConfig(flags);
  const stop = stopSignal();
  const starting = ServeCluster.start(config);
  // Ctrl-C while starting: let the start finish (or fail), then stop what it started.
  const cluster = await starting;
  process.once('exit', () => cluster.killNow());
  const models = config.servedModelName ?? config.model.replace(/^.*\//, '').replace(/\.[^.]*$/, '');
  process.stdout.write(`${banner(cluster, config, models)}\n`);
  const failure = await Promise.race([cluster.failure, stop.then(() => null)]);
  if (failure === null) process.stderr.write('\npdserve: stopping...\n');
  else {
    process.stderr.write(`pdserve: ${ServeCluster.describe(failure)}; stopping everything\n`);
    if (failure.logTail !== '') process.stderr.write(`${failure.logTail}\n`);
    process.exitCode = 1;
  }
  await cluster.stop();
  process.stderr.write('pdserve: stopped\n');
}
