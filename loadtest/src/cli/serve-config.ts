import { BenchConfigError } from '../bench-config-error.js';
import type { ClientOptions, Endpoint } from '../client/client-options.js';
import type { DatasetConfig } from '../datasets/dataset-config.js';
import { type GoodputTargets, parseGoodputTargets } from '../metrics/goodput-targets.js';
import type { RawServeOptions } from './serve-options.js';

/** One validated run: what `serve` runs once and `sweep` runs per series and rate. */
export interface ServeConfig {
  client: ClientOptions;
  dataset: DatasetConfig;
  numPrompts: number;
  requestRate: number;
  burstiness: number;
  maxConcurrency: number | null;
  numWarmups: number;
  durationLimitS: number;
  seed: number;
  goodput: GoodputTargets | null;
  percentiles: number[];
  /** Fit prompt words to the server's tokenizer (/tokenize) before the run. */
  calibrate: boolean;
  tokensPerWord: number;
  label: string;
  quiet: boolean;
}

/** The longest run allowed, so a typo cannot start a practically unbounded one (24 h). */
const MAX_DURATION_S = 86_400;

/** Validates raw options into a ServeConfig; throws BenchConfigError with a clear message. */
export function serveConfig(o: RawServeOptions, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  if (!o.baseUrl) throw new BenchConfigError('--base-url is required');
  if (!(o.durationLimit <= MAX_DURATION_S)) {
    throw new BenchConfigError(`--duration-limit must be at most ${MAX_DURATION_S} s`);
  }
  const goodput = o.goodput ? parseGoodputTargets(o.goodput) : null;
  return {
    client: clientOptions(o, o.baseUrl, env),
    dataset: datasetConfig(o),
    numPrompts: o.numPrompts,
    requestRate: o.requestRate,
    burstiness: o.burstiness,
    maxConcurrency: o.maxConcurrency ?? null,
    numWarmups: o.numWarmups,
    durationLimitS: o.durationLimit,
    seed: o.seed,
    goodput,
    percentiles: [...new Set(o.percentiles)].sort((a, b) => a - b),
    calibrate: o.calibrate,
    tokensPerWord: o.tokensPerWord,
    label: o.label ?? o.model,
    quiet: o.quiet,
  };
}

function clientOptions(o: RawServeOptions, baseUrl: string, env: NodeJS.ProcessEnv): ClientOptions {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new BenchConfigError(`--base-url '${baseUrl}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BenchConfigError(`--base-url must be http(s), got '${url.protocol}'`);
  }
  const apiKey = o.apiKey ?? env.OPENAI_API_KEY;
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    model: o.model,
    endpoint: o.endpoint as Endpoint,
    ...(apiKey ? { apiKey } : {}),
    headers: parseHeaders(o.header),
    ignoreEos: o.ignoreEos,
    setMinTokens: o.minTokens,
    temperature: o.temperature,
    continuousUsage: o.continuousUsage,
  };
}

function parseHeaders(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf(':');
    if (i <= 0) throw new BenchConfigError(`--header takes name:value, got '${item}'`);
    out[item.slice(0, i).trim().toLowerCase()] = item.slice(i + 1).trim();
  }
  return out;
}

function datasetConfig(o: RawServeOptions): DatasetConfig {
  if (!(o.randomRangeRatio >= 0 && o.randomRangeRatio < 1)) {
    throw new BenchConfigError('--random-range-ratio must be in [0, 1)');
  }
  const rangeRatio = o.randomRangeRatio;
  const inputLen = o.randomInputLen;
  const outputLen = o.randomOutputLen;
  switch (o.dataset) {
    case 'random':
      return { kind: 'random', inputLen, outputLen, rangeRatio };
    case 'prefix':
      return {
        kind: 'prefix',
        prefixLen: o.prefixLen,
        numPrefixes: o.numPrefixes,
        inputLen,
        outputLen,
        rangeRatio,
      };
    case 'mixed':
      return mixedConfig(o);
    case 'sharegpt-like':
      return {
        kind: 'sharegpt-like',
        inputMean: o.sharegptInputMean,
        inputSigma: o.sharegptInputSigma,
        outputMean: o.sharegptOutputMean,
        outputSigma: o.sharegptOutputSigma,
        maxTotalLen: o.sharegptMaxLen,
      };
    default:
      throw new BenchConfigError(`unknown dataset '${o.dataset}'`);
  }
}

function mixedConfig(o: RawServeOptions): DatasetConfig {
  if (!(o.longFraction >= 0 && o.longFraction <= 1))
    throw new BenchConfigError('--long-fraction must be in [0, 1]');
  return {
    kind: 'mixed',
    longFraction: o.longFraction,
    longInputLen: o.longInputLen,
    longOutputLen: o.longOutputLen,
    chatInputLen: o.chatInputLen,
    chatOutputLen: o.chatOutputLen,
    rangeRatio: o.randomRangeRatio,
  };
}
