import { EngineCore, Sampler, type SamplingKernel } from '@pdserve/engine';
import { type LoadedModel, loadModel, ModelRunner, modelFingerprint } from '@pdserve/model';
import { sampleBatch, samplingIsa } from '@pdserve/native';
import { type EngineRunResult, runEngine } from './engine-run.js';
import {
  type BenchRequest,
  checkFitsModelLen,
  DatasetError,
  makeRandomRequests,
  promptTokenPool,
  type RandomDatasetOptions,
} from './random-dataset.js';
import { measureSamplerCost, type SamplerCost } from './sampler-cost.js';
import { StaticBaseline, type StaticRunResult } from './static-baseline.js';
import { buildReport, type ThroughputReport } from './throughput-report.js';

/** `bench throughput`'s settings (the CLI's options, camelCased). */
export interface ThroughputBenchOptions {
  model: string;
  tokenizer?: string;
  numPrompts: number;
  inputLen: number;
  outputLen: number;
  rangeRatio: number;
  prefixLen: number;
  /** KV cache cap in GiB: numBlocks = floor(cap / blockBytes), for the engine and the baseline alike. */
  kvCacheGb: number;
  /** Default: the model's maxSeqLen (and at most that). */
  maxModelLen?: number;
  dtype: 'f32' | 'bf16' | 'q8_0';
  /** KV cache element type (default f32). */
  kvDtype?: 'f32' | 'bf16';
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  seed: number;
  baseline: 'static' | null;
  /** Sampling temperature (1, as vLLM's bench; tests pass 0 to compare greedy outputs). */
  temperature?: number;
  /** Time the TypeScript and native samplers per row (default true). */
  samplerCost?: boolean;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
}

/** The report plus what was generated, for tests that check the outputs themselves. */
export interface ThroughputBenchResult {
  report: ThroughputReport;
  requests: BenchRequest[];
  engine: EngineRunResult;
  batch1: EngineRunResult;
  baseline: StaticRunResult | null;
}

/** Tokens per KV block; the engine's default and the gateway's hashing unit. */
const BLOCK_SIZE = 16;
const GIB = 1024 ** 3;

/** The native sampler as the engine's SamplingKernel. */
const nativeKernel: SamplingKernel = { sampleBatch };

/** KV blocks the cap holds for this model: floor(cap / blockBytes). */
export function kvBlocksForCap(
  model: LoadedModel,
  kvCacheGb: number,
  kvDtype: 'f32' | 'bf16' = 'f32',
): { numBlocks: number; blockBytes: number } {
  const c = model.config;
  const blockBytes = c.nLayers * 2 * BLOCK_SIZE * c.nKvHeads * c.headDim * (kvDtype === 'bf16' ? 2 : 4);
  return { numBlocks: Math.floor((kvCacheGb * GIB) / blockBytes), blockBytes };
}

function datasetOptions(o: ThroughputBenchOptions, model: LoadedModel, seed: number): RandomDatasetOptions {
  return { ...o, tokenPool: promptTokenPool(model.tokenizer), seed };
}

/** What a run needs before the runner exists: the model, the limits and the dataset. */
interface Prepared {
  model: LoadedModel;
  maxModelLen: number;
  numBlocks: number;
  requests: BenchRequest[];
}

function prepare(o: ThroughputBenchOptions): Prepared {
  const model = loadModel(o.model, o.tokenizer ? { tokenizerPath: o.tokenizer } : {});
  const maxModelLen = Math.min(o.maxModelLen ?? model.config.maxSeqLen, model.config.maxSeqLen);
  const dataset = datasetOptions(o, model, o.seed);
  checkFitsModelLen(dataset, maxModelLen);
  const { numBlocks, blockBytes } = kvBlocksForCap(model, o.kvCacheGb, o.kvDtype);
  if (numBlocks < Math.ceil(maxModelLen / BLOCK_SIZE)) {
    throw new DatasetError(
      `--kv-cache-gb ${o.kvCacheGb} holds ${numBlocks} blocks of ${blockBytes} bytes, less than one ` +
        `--max-model-len ${maxModelLen} sequence`,
    );
  }
  return { model, maxModelLen, numBlocks, requests: makeRandomRequests(dataset) };
}

/**
 * Runs `bench throughput`: the random dataset through the engine (EngineCore on the native runner,
 * native sampler), one request alone through the same engine for the batch-1 decode rate, then the
 * static baseline on the same runner. Everything shares one KV pool sized by the cap.
 */
export async function runThroughputBench(o: ThroughputBenchOptions): Promise<ThroughputBenchResult> {
  const p = prepare(o);
  (o.log ?? (() => {}))(`loading ${o.model} as ${o.dtype}; KV cache ${p.numBlocks} blocks`);
  const runner = ModelRunner.create(p.model, {
    dtype: o.dtype,
    kvDtype: o.kvDtype ?? 'f32',
    blockSize: BLOCK_SIZE,
    numBlocks: p.numBlocks,
    maxModelLen: p.maxModelLen,
  });
  try {
    return await runAll(o, p, runner);
  } finally {
    runner.close();
  }
}

async function runAll(
  o: ThroughputBenchOptions,
  p: Prepared,
  runner: ModelRunner,
): Promise<ThroughputBenchResult> {
  const log = o.log ?? (() => {});
  const temperature = o.temperature ?? 1;
  const { model, maxModelLen, requests } = p;
  const core = new EngineCore(runner, {
    maxModelLen,
    maxNumSeqs: o.maxNumSeqs,
    maxNumBatchedTokens: o.maxNumBatchedTokens,
    hashSeed: modelFingerprint(model),
    eosTokenIds: model.config.eosTokenIds,
    samplingKernel: nativeKernel,
  });
  log(`engine: ${requests.length} requests`);
  const engine = await runEngine(core, requests, o.seed, temperature);
  log(`engine: ${engine.elapsedS.toFixed(1)} s; batch-1 decode`);
  const single = { ...datasetOptions(o, model, o.seed + 1), numPrompts: 1, prefixLen: 0, rangeRatio: 0 };
  const batch1 = await runEngine(core, makeRandomRequests(single), o.seed + 1, temperature, 'batch1');
  const baseline = o.baseline === 'static' ? await runStatic(o, p, runner, temperature) : null;
  const samplerCost: SamplerCost[] =
    o.samplerCost === false ? [] : await measureSamplerCost(runner.vocabSize, nativeKernel);
  const setup = {
    ...o,
    maxModelLen,
    numBlocks: p.numBlocks,
    blockSize: BLOCK_SIZE,
    samplerIsa: samplingIsa(),
    temperature,
  };
  const report = buildReport({ setup, requests, engine, batch1, baseline, samplerCost });
  return { report, requests, engine, batch1, baseline };
}

/** The static baseline on the same runner (and so the same pool and kernels) as the engine. */
function runStatic(
  o: ThroughputBenchOptions,
  p: Prepared,
  runner: ModelRunner,
  temperature: number,
): Promise<StaticRunResult> {
  const sb = new StaticBaseline(runner, new Sampler(runner.vocabSize, nativeKernel), p.maxModelLen);
  o.log?.(`static baseline: batch ${sb.batchSize}`);
  return sb.run(p.requests, o.seed, temperature);
}
