import { type EngineCore, SamplingParams, type StepMetrics } from '@pdserve/engine';
import type { BenchRequest } from './random-dataset.js';

/** One engine step as the bench saw it. */
export interface StepRecord extends StepMetrics {
  /** Wall time of the whole step() call (ms). */
  totalMs: number;
  /** CPU time of this process (all threads) during the step (ms): less sensitive to other load. */
  cpuMs: number;
  /** KV slots of the blocks held after the step, and how many hold computed tokens. */
  reservedSlots: number;
  usedSlots: number;
  /** Requests finished before this step started. */
  finishedBefore: number;
}

/** What a run of requests through an EngineCore produced. */
export interface EngineRunResult {
  /** Each request's generated tokens, in request order. */
  outputs: number[][];
  elapsedS: number;
  /** CPU time of this process (all threads) over the run. */
  cpuS: number;
  steps: StepRecord[];
  prefixQueries: number;
  prefixHits: number;
  numPreemptions: number;
}

/** User + system CPU time of this process so far, in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * The sampling vLLM's throughput bench uses: exactly `outputLen` tokens (ignore_eos), top_p 1,
 * the given temperature, and a seed per request so runs and engines are comparable.
 */
export function benchSamplingParams(r: BenchRequest, index: number, seed: number, temperature: number) {
  return SamplingParams.create({
    temperature,
    topP: 1,
    ignoreEos: true,
    maxTokens: r.outputLen,
    seed: seed * 65_536 + index,
  });
}

/**
 * Adds every request at once and steps `core` until all finish, recording each step's timings (from
 * EngineCore.onStepMetrics), wall time and KV slot usage. The driver is EngineCore itself, not the
 * pipelined EngineLoop: prompts are token ids and nothing is detokenized.
 */
export async function runEngine(
  core: EngineCore,
  requests: readonly BenchRequest[],
  seed: number,
  temperature: number,
  idPrefix = 'bench',
): Promise<EngineRunResult> {
  const index = new Map<string, number>();
  requests.forEach((r, i) => {
    const requestId = `${idPrefix}-${i}`;
    index.set(requestId, i);
    core.addRequest({
      requestId,
      promptTokenIds: r.promptTokenIds,
      samplingParams: benchSamplingParams(r, i, seed, temperature),
    });
  });
  const before = core.stats;
  const outputs = requests.map((): number[] => []);
  const steps: StepRecord[] = [];
  let metrics: StepMetrics | null = null;
  core.onStepMetrics = (m) => {
    metrics = m;
  };
  let finished = 0;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  try {
    while (core.hasUnfinishedRequests()) {
      const s = performance.now();
      const c = cpuMs();
      const { outputs: outs } = await core.step();
      const totalMs = performance.now() - s;
      const stepCpuMs = cpuMs() - c;
      if (metrics !== null)
        steps.push({
          ...(metrics as StepMetrics),
          totalMs,
          cpuMs: stepCpuMs,
          ...core.kvSlotUsage(),
          finishedBefore: finished,
        });
      metrics = null;
      for (const o of outs) {
        outputs[index.get(o.requestId)!].push(...o.newTokenIds);
        if (o.finishReason !== null) finished++;
      }
    }
  } finally {
    core.onStepMetrics = null;
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const cpuS = (cpuMs() - cpu0) / 1000;
  const after = core.stats;
  return {
    outputs,
    elapsedS,
    cpuS,
    steps,
    prefixQueries: after.prefixCacheStats.queries - before.prefixCacheStats.queries,
    prefixHits: after.prefixCacheStats.hits - before.prefixCacheStats.hits,
    numPreemptions: after.numPreemptions - before.numPreemptions,
  };
}
