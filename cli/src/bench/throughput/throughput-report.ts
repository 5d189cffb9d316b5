import type { EngineRunResult } from './engine-run.js';
import type { BenchRequest } from './random-dataset.js';
import type { SamplerCost } from './sampler-cost.js';
import type { StaticRunResult } from './static-baseline.js';
import { decodeRate, medianDecodeRate, summarizeSteps } from './step-summary.js';

/** The run's settings as they end up in the report. */
export interface ReportSetup {
  model: string;
  dtype: string;
  kvDtype?: string;
  numPrompts: number;
  inputLen: number;
  outputLen: number;
  rangeRatio: number;
  prefixLen: number;
  kvCacheGb: number;
  maxModelLen: number;
  numBlocks: number;
  blockSize: number;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  seed: number;
  samplerIsa: string;
  temperature: number;
}

/** Everything measured, for buildReport. */
export interface ReportInput {
  setup: ReportSetup;
  requests: readonly BenchRequest[];
  engine: EngineRunResult;
  batch1: EngineRunResult;
  baseline: StaticRunResult | null;
  samplerCost: SamplerCost[];
}

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** The JSON `bench throughput --json` prints (snake_case, vLLM's names where they exist). */
export type ThroughputReport = Record<string, Json>;

/** How many requests produced exactly their drawn output length. */
function numCompleted(outputs: readonly number[][], requests: readonly BenchRequest[]): number {
  return requests.filter((r, i) => outputs[i]?.length === r.outputLen).length;
}

function settings(s: ReportSetup): ThroughputReport {
  return {
    model: s.model,
    dtype: s.dtype,
    kv_dtype: s.kvDtype ?? 'f32',
    num_prompts: s.numPrompts,
    input_len: s.inputLen,
    output_len: s.outputLen,
    range_ratio: s.rangeRatio,
    prefix_len: s.prefixLen,
    kv_cache_gb: s.kvCacheGb,
    num_kv_blocks: s.numBlocks,
    block_size: s.blockSize,
    max_model_len: s.maxModelLen,
    max_num_seqs: s.maxNumSeqs ?? null,
    max_num_batched_tokens: s.maxNumBatchedTokens ?? null,
    seed: s.seed,
    temperature: s.temperature,
    sampler_isa: s.samplerIsa,
  };
}

function baselineFields(
  b: StaticRunResult | null,
  requests: readonly BenchRequest[],
  outTokS: number,
): ThroughputReport {
  if (b === null) return {};
  const outputTokens = requests.reduce((a, r) => a + r.outputLen, 0);
  const totalTokens = requests.reduce((a, r) => a + r.promptTokenIds.length + r.outputLen, 0);
  const baselineOut = outputTokens / b.elapsedS;
  return {
    baseline: 'static',
    baseline_elapsed_s: b.elapsedS,
    baseline_requests_per_s: requests.length / b.elapsedS,
    baseline_output_tokens_per_s: baselineOut,
    baseline_total_tokens_per_s: totalTokens / b.elapsedS,
    baseline_batch_size: b.batchSize,
    baseline_num_batches: b.numBatches,
    baseline_kv_waste: b.kvWaste,
    baseline_num_completed: numCompleted(b.outputs, requests),
    speedup_vs_baseline: outTokS / baselineOut,
    baseline_cpu_s: b.cpuS,
  };
}

/**
 * The same ratios by CPU time of this process instead of wall time: on a shared machine other
 * load stretches wall time phase by phase, CPU time much less (the runner's threads sleep when idle).
 */
function cpuRatios(input: ReportInput, outputTokens: number): ThroughputReport {
  const { engine, batch1, baseline } = input;
  const perCpuS = outputTokens / engine.cpuS;
  const batch1PerCpuS = decodeRate(batch1.steps, true);
  return {
    cpu_s: engine.cpuS,
    output_tokens_per_cpu_s: perCpuS,
    batch1_decode_tokens_per_cpu_s: batch1PerCpuS,
    speedup_vs_batch1_cpu: batch1PerCpuS > 0 ? perCpuS / batch1PerCpuS : 0,
    ...(baseline === null ? {} : { speedup_vs_baseline_cpu: baseline.cpuS / engine.cpuS }),
  };
}

/** Throughput (vLLM's definitions: tokens over the run's wall time), steady-state step figures, baselines. */
export function buildReport(input: ReportInput): ThroughputReport {
  const { setup, requests, engine, batch1, baseline, samplerCost } = input;
  const inputTokens = requests.reduce((a, r) => a + r.promptTokenIds.length, 0);
  const outputTokens = requests.reduce((a, r) => a + r.outputLen, 0);
  const t = engine.elapsedS;
  const steps = summarizeSteps(engine.steps, requests.length);
  const outTokS = outputTokens / t;
  // The median-step rate: the higher batch-1 figure when other load bursts, so the stricter ratio.
  const batch1Rate = medianDecodeRate(batch1.steps);
  return {
    ...settings(setup),
    elapsed_s: t,
    total_input_tokens: inputTokens,
    total_output_tokens: outputTokens,
    num_completed: numCompleted(engine.outputs, requests),
    requests_per_s: requests.length / t,
    output_tokens_per_s: outTokS,
    total_tokens_per_s: (inputTokens + outputTokens) / t,
    mean_batch_size: steps.meanBatchSize,
    kv_waste: steps.kvWaste,
    prefix_hit_rate: engine.prefixQueries > 0 ? engine.prefixHits / engine.prefixQueries : 0,
    num_preemptions: engine.numPreemptions,
    /** Prompt and output tokens the runner computed, recomputation after preemption included. */
    num_computed_tokens: engine.steps.reduce((a, s) => a + s.numScheduledTokens, 0),
    num_steps: steps.numSteps,
    num_steady_steps: steps.numSteadySteps,
    mean_step_ms: steps.meanStepMs,
    runner_frac: steps.runnerFrac,
    sampler_frac: steps.samplerFrac,
    scheduler_overhead_frac: steps.schedulerOverheadFrac,
    batch1_decode_tokens_per_s: batch1Rate,
    batch1_decode_tokens_per_s_mean: decodeRate(batch1.steps),
    speedup_vs_batch1: batch1Rate > 0 ? outTokS / batch1Rate : 0,
    ...baselineFields(baseline, requests, outTokS),
    ...cpuRatios(input, outputTokens),
    sampler_cost: samplerCost.map((c) => ({
      setting: c.name,
      ts_ms_per_row: c.tsMsPerRow,
      native_ms_per_row: c.nativeMsPerRow,
    })),
  };
}
