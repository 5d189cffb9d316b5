import type { BenchResultJson } from '@pdserve/loadtest';
import { benchRun } from './bench-run.js';
import type { GoodputPlan, Targets } from './goodput-plan.js';

/** What the calibration measured on one unloaded cluster. */
export interface UnloadedLatency {
  config: string;
  /** Median TTFT of long prompts sent one at a time (ms). */
  longTtftMs: number;
  /** Median TPOT of chat requests sent one at a time (ms). */
  chatTpotMs: number;
}

/** What the calibration measured, and the targets derived from it. */
export interface Calibration {
  unloaded: UnloadedLatency[];
  /** The largest of the clusters' long-prompt TTFTs and chat TPOTs (ms). */
  unloadedLongTtftMs: number;
  unloadedChatTpotMs: number;
  /** Tokens per prompt word the load tester fitted to the model's tokenizer. */
  tokensPerWord: number;
  targets: Targets;
  runs: BenchResultJson[];
}

/** Thrown when a calibration request fails (the cluster is not serving). */
export class CalibrationFailedError extends Error {
  override readonly name = 'CalibrationFailedError';
}

const roundUp = (ms: number, step: number) => Math.ceil(ms / step) * step;

/** One cluster's unloaded latencies: long prompts, then chat turns, each alone. */
async function measure(
  plan: GoodputPlan,
  cluster: { name: string; url: string },
  model: string,
  tokensPerWord: number | null,
) {
  const d = plan.dataset;
  const common = {
    baseUrl: cluster.url,
    model,
    numPrompts: plan.calibrationRequests,
    requestRate: Infinity,
    maxConcurrency: 1,
    durationLimitS: 120,
  };
  const long = await benchRun({
    ...common,
    label: `calibration-long-${cluster.name}`,
    dataset: { kind: 'random', inputLen: d.longInputLen, outputLen: d.longOutputLen },
    seed: plan.seed + 900_001,
    tokensPerWord: tokensPerWord ?? 1,
    calibrate: tokensPerWord === null,
  });
  const fitted = Number(long.dataset_config.tokensPerWord);
  const chat = await benchRun({
    ...common,
    label: `calibration-chat-${cluster.name}`,
    dataset: { kind: 'random', inputLen: d.chatInputLen, outputLen: d.chatOutputLen },
    seed: plan.seed + 900_002,
    tokensPerWord: fitted,
  });
  for (const run of [long, chat]) {
    if (run.completed !== plan.calibrationRequests)
      throw new CalibrationFailedError(
        `calibration run ${run.label} failed: ${JSON.stringify(run.failure_reasons)}`,
      );
  }
  const unloaded = { config: cluster.name, longTtftMs: long.median_ttft_ms, chatTpotMs: chat.median_tpot_ms };
  return { unloaded, tokensPerWord: fitted, runs: [long, chat] };
}

/**
 * Measures each given unloaded cluster (the colocated and the disaggregated one): `calibrationRequests`
 * long prompts, then as many chat turns, each alone, with the mixed dataset's lengths. The targets
 * are ttftScale x the larger long-prompt median TTFT (rounded up to 100 ms) and tpotScale x the
 * larger chat median TPOT (to 5 ms): every configuration meets them unloaded, and each must serve
 * within a fixed multiple of what the slower architecture does with no queue, the way DistServe
 * scales SLOs. One TTFT target holds for every request, long or chat.
 */
export async function calibrate(
  plan: GoodputPlan,
  clusters: readonly { name: string; url: string }[],
  model: string,
): Promise<Calibration> {
  const measured = [];
  let tokensPerWord: number | null = null;
  for (const cluster of clusters) {
    const m = await measure(plan, cluster, model, tokensPerWord);
    tokensPerWord = m.tokensPerWord;
    measured.push(m);
  }
  const unloaded = measured.map((m) => m.unloaded);
  const unloadedLongTtftMs = Math.max(...unloaded.map((u) => u.longTtftMs));
  const unloadedChatTpotMs = Math.max(...unloaded.map((u) => u.chatTpotMs));
  return {
    unloaded,
    unloadedLongTtftMs,
    unloadedChatTpotMs,
    tokensPerWord: tokensPerWord ?? 1,
    targets: {
      ttftMs: roundUp(plan.ttftScale * unloadedLongTtftMs, 100),
      tpotMs: roundUp(plan.tpotScale * unloadedChatTpotMs, 5),
    },
    runs: measured.flatMap((m) => m.runs),
  };
}
