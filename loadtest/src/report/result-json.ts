import type { BenchSummary } from '../metrics/bench-summary.js';
import type { GoodputTargets } from '../metrics/goodput-targets.js';
import type { LatencyStats } from '../metrics/latency-stats.js';
import type { RequestResult } from '../metrics/request-result.js';
import type { BenchResultJson } from './bench-result-json.js';

/** The run's settings, as they go into the JSON result. */
export interface RunMeta {
  label: string;
  baseUrl: string;
  endpoint: string;
  model: string;
  dataset: { kind: string } & Record<string, unknown>;
  numPrompts: number;
  requestRate: number;
  burstiness: number;
  maxConcurrency: number | null;
  seed: number;
  numWarmups: number;
  durationLimitS: number;
  hitDurationLimit: boolean;
  goodput: GoodputTargets | null;
  percentiles: number[];
  startedAt: Date;
}

const s = (ms: number | null) => (ms === null ? null : ms / 1000);

/** Builds the JSON result of one run from its settings, summary and per-request results. */
export function resultJson(
  meta: RunMeta,
  sum: BenchSummary,
  results: readonly RequestResult[],
): BenchResultJson {
  const { kind, ...datasetConfig } = meta.dataset;
  return {
    label: meta.label,
    date: meta.startedAt.toISOString(),
    backend: 'openai',
    base_url: meta.baseUrl,
    endpoint: meta.endpoint,
    model_id: meta.model,
    dataset: kind,
    dataset_config: datasetConfig,
    num_prompts: meta.numPrompts,
    request_rate: Number.isFinite(meta.requestRate) ? meta.requestRate : 'inf',
    burstiness: meta.burstiness,
    max_concurrency: meta.maxConcurrency,
    seed: meta.seed,
    num_warmups: meta.numWarmups,
    duration_limit_s: meta.durationLimitS,
    hit_duration_limit: meta.hitDurationLimit,
    goodput_config: meta.goodput ? goodputConfig(meta.goodput) : null,
    percentiles: meta.percentiles,
    ...summaryFields(sum),
    ...latencyFields('ttft', sum.ttft),
    ...latencyFields('tpot', sum.tpot),
    ...latencyFields('itl', sum.itl),
    ...latencyFields('e2el', sum.e2el),
    ...requestArrays(results),
  };
}

function summaryFields(sum: BenchSummary) {
  return {
    duration: sum.durationS,
    completed: sum.completed,
    failed: sum.failed,
    rejected: sum.rejected,
    not_sent: sum.notSent,
    good: sum.good,
    total_input_tokens: sum.totalInputTokens,
    total_output_tokens: sum.totalOutputTokens,
    request_throughput: sum.requestThroughput,
    request_goodput: sum.requestGoodput,
    goodput: sum.requestGoodput,
    output_throughput: sum.outputThroughput,
    total_token_throughput: sum.totalTokenThroughput,
    failure_reasons: sum.failureReasons,
  };
}

function goodputConfig(t: GoodputTargets): Record<string, number> {
  const out: Record<string, number> = {};
  if (t.ttftMs !== undefined) out.ttft = t.ttftMs;
  if (t.tpotMs !== undefined) out.tpot = t.tpotMs;
  if (t.e2elMs !== undefined) out.e2el = t.e2elMs;
  return out;
}

/** mean_/median_/std_/pXX_<name>_ms keys. */
export function latencyFields(name: string, st: LatencyStats): Record<`${string}_ms`, number> {
  const out: Record<`${string}_ms`, number> = {
    [`mean_${name}_ms`]: st.mean,
    [`median_${name}_ms`]: st.median,
    [`std_${name}_ms`]: st.std,
  };
  for (const [p, v] of Object.entries(st.percentiles)) out[`p${p}_${name}_ms`] = v;
  return out;
}

function requestArrays(results: readonly RequestResult[]) {
  return {
    input_lens: results.map((r) => r.promptLen),
    output_lens: results.map((r) => (r.outcome === 'ok' ? r.outputTokens : 0)),
    requested_output_lens: results.map((r) => r.requestedOutputLen),
    ttfts: results.map((r) => s(r.ttftMs)),
    tpots: results.map((r) => s(r.tpotMs)),
    e2els: results.map((r) => s(r.e2eMs)),
    itls: results.map((r) => r.itlsMs.map((v) => v / 1000)),
    errors: results.map((r) => r.error ?? ''),
    outcomes: results.map((r) => r.outcome),
    tags: results.map((r) => r.tag),
    output_tokens_sources: results.map((r) => r.outputTokensSource),
    retry_afters: results.map((r) => r.retryAfterS ?? null),
    scheduled_times: results.map((r) => r.scheduledMs / 1000),
    start_times: results.map((r) => r.sentMs / 1000),
    first_token_times: results.map((r) => s(r.firstTokenMs)),
    end_times: results.map((r) => r.endMs / 1000),
  };
}
