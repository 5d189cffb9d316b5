import { arrivalSchedule } from '../arrivals/arrival-schedule.js';
import type { ServeConfig } from '../cli/serve-config.js';
import { calibrateTokensPerWord } from '../client/calibrate-tokens-per-word.js';
import { generateDataset } from '../datasets/generate-dataset.js';
import { PromptBuilder } from '../datasets/prompt-builder.js';
import { benchSummary } from '../metrics/bench-summary.js';
import { ProgressReporter } from '../progress/progress-reporter.js';
import type { BenchResultJson } from '../report/bench-result-json.js';
import { type RunMeta, resultJson } from '../report/result-json.js';
import { type RunRecord, runBench } from './bench-runner.js';

/** Where a run reports what it is doing (notes and progress), normally stderr. */
export interface RunIo {
  stderr: NodeJS.WriteStream;
}

/**
 * One complete `serve` run: optional tokenizer calibration, the dataset (warm-ups drawn after the
 * measured requests so that adding warm-ups leaves the measured prompts unchanged), the arrival
 * schedule, the run with progress, then the summary as a JSON result.
 */
export async function runServe(
  c: ServeConfig,
  io: RunIo = { stderr: process.stderr },
): Promise<BenchResultJson> {
  const tokensPerWord = await promptCalibration(c, io);
  const all = generateDataset(
    c.dataset,
    c.numPrompts + c.numWarmups,
    c.seed,
    new PromptBuilder(tokensPerWord),
  );
  const requests = all.slice(0, c.numPrompts);
  const schedule = arrivalSchedule({
    count: c.numPrompts,
    requestRate: c.requestRate,
    burstiness: c.burstiness,
    seed: c.seed,
  });
  const progress = new ProgressReporter(c.numPrompts, {
    stream: io.stderr,
    mode: ProgressReporter.modeFor(io.stderr, c.quiet),
    label: `${c.label} @ ${c.requestRate} req/s`,
  });
  progress.start();
  const run = await runBench({
    client: c.client,
    requests,
    schedule,
    warmups: all.slice(c.numPrompts),
    maxConcurrency: c.maxConcurrency,
    durationLimitS: c.durationLimitS,
    onResult: (r) => progress.update(r),
  }).finally(() => progress.stop());
  if (run.hitDurationLimit && !c.quiet) io.stderr.write(`duration limit of ${c.durationLimitS} s reached\n`);
  const summary = benchSummary(run.results, run.notSent, run.durationS, c.goodput, c.percentiles);
  return resultJson(runMeta(c, run, tokensPerWord), summary, run.results);
}

function runMeta(c: ServeConfig, run: RunRecord, tokensPerWord: number): RunMeta {
  return {
    label: c.label,
    baseUrl: c.client.baseUrl,
    endpoint: c.client.endpoint,
    model: c.client.model,
    dataset: { ...c.dataset, tokensPerWord },
    numPrompts: c.numPrompts,
    requestRate: c.requestRate,
    burstiness: c.burstiness,
    maxConcurrency: c.maxConcurrency,
    seed: c.seed,
    numWarmups: c.numWarmups,
    durationLimitS: c.durationLimitS,
    hitDurationLimit: run.hitDurationLimit,
    goodput: c.goodput,
    percentiles: c.percentiles,
    startedAt: run.startedAt,
  };
}

async function promptCalibration(c: ServeConfig, io: RunIo): Promise<number> {
  if (!c.calibrate) return c.tokensPerWord;
  const tokensPerWord = await calibrateTokensPerWord(c.client, AbortSignal.timeout(30_000));
  if (!c.quiet) io.stderr.write(`calibrated: ${tokensPerWord.toFixed(3)} tokens per prompt word\n`);
  return tokensPerWord;
}
