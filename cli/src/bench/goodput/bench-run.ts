import { type BenchResultJson, runServe, serveConfig } from '@pdserve/loadtest';
import type { MixedShape, Targets } from './goodput-plan.js';

/** One load-tester run against the cluster at `baseUrl`. */
export interface BenchRun {
  baseUrl: string;
  model: string;
  label: string;
  dataset: { kind: 'mixed'; shape: MixedShape } | { kind: 'random'; inputLen: number; outputLen: number };
  numPrompts: number;
  /** req/s; Infinity with maxConcurrency 1 sends one request at a time. */
  requestRate: number;
  maxConcurrency?: number;
  seed: number;
  durationLimitS: number;
  /** Sent as x-slo-* headers and used for the goodput count. */
  targets?: Targets;
  tokensPerWord: number;
  /** Fit prompt words to the server's tokenizer first (the result's dataset_config has the factor). */
  calibrate?: boolean;
}

/** Runs pdserve-bench's `serve` (the library, not a child process) with the experiment's options. */
export function benchRun(r: BenchRun): Promise<BenchResultJson> {
  const d = r.dataset;
  const mixed = d.kind === 'mixed' ? d.shape : null;
  const t = r.targets;
  const config = serveConfig({
    baseUrl: r.baseUrl,
    model: r.model,
    endpoint: '/v1/completions',
    header: t === undefined ? [] : [`x-slo-ttft-ms:${t.ttftMs}`, `x-slo-tpot-ms:${t.tpotMs}`],
    dataset: d.kind,
    seed: r.seed,
    numPrompts: r.numPrompts,
    randomInputLen: d.kind === 'random' ? d.inputLen : 1,
    randomOutputLen: d.kind === 'random' ? d.outputLen : 1,
    randomRangeRatio: mixed?.rangeRatio ?? 0,
    prefixLen: 1,
    numPrefixes: 1,
    longFraction: mixed?.longFraction ?? 0,
    longInputLen: mixed?.longInputLen ?? 1,
    longOutputLen: mixed?.longOutputLen ?? 1,
    chatInputLen: mixed?.chatInputLen ?? 1,
    chatOutputLen: mixed?.chatOutputLen ?? 1,
    sharegptInputMean: 1,
    sharegptInputSigma: 1,
    sharegptOutputMean: 1,
    sharegptOutputSigma: 1,
    sharegptMaxLen: 2,
    calibrate: r.calibrate ?? false,
    tokensPerWord: r.tokensPerWord,
    requestRate: r.requestRate,
    burstiness: 1,
    ...(r.maxConcurrency === undefined ? {} : { maxConcurrency: r.maxConcurrency }),
    numWarmups: 0,
    durationLimit: r.durationLimitS,
    ...(t === undefined ? {} : { goodput: [`ttft:${t.ttftMs}`, `tpot:${t.tpotMs}`] }),
    percentiles: [50, 90, 99],
    ignoreEos: true,
    minTokens: false,
    temperature: 0,
    continuousUsage: false,
    label: r.label,
    quiet: true,
  });
  return runServe(config);
}
