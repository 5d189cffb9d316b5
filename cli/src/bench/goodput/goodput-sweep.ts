import type { BenchResultJson } from '@pdserve/loadtest';
import { benchRun } from './bench-run.js';
import { waitUntilIdle } from './goodput-cluster.js';
import type { GoodputConfig, GoodputPlan, Targets } from './goodput-plan.js';

/** What the sweep needs besides the plan and the clusters. */
export interface SweepContext {
  model: string;
  targets: Targets;
  tokensPerWord: number;
  /** Progress lines. */
  say: (line: string) => void;
}

/** A one-line account of a run. */
export function runLine(r: BenchResultJson): string {
  const f = (v: number | null | undefined, d = 2) =>
    typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-';
  return (
    `${r.label} @ ${r.request_rate} req/s: ${r.completed} ok, ${r.rejected} rejected, ${r.failed} failed; ` +
    `goodput ${f(r.request_goodput)} req/s, p99 TTFT ${f(r.p99_ttft_ms, 0)} ms, p99 TPOT ${f(r.p99_tpot_ms, 1)} ms`
  );
}

/** A configuration's running cluster, as the sweep uses it. */
export interface SweepTarget {
  config: GoodputConfig;
  baseUrl: string;
}

/**
 * Requests sent one at a time before the sweep (not counted), so the routers and engines have
 * measured speeds (prefill, decode steps, KV transfers) when the measured runs start.
 */
export async function warmUp(plan: GoodputPlan, target: SweepTarget, ctx: SweepContext): Promise<void> {
  if (plan.numWarmups === 0) return;
  await benchRun({
    baseUrl: target.baseUrl,
    model: ctx.model,
    dataset: { kind: 'mixed', shape: plan.dataset },
    targets: ctx.targets,
    tokensPerWord: ctx.tokensPerWord,
    label: `${target.config.name}-warmup`,
    numPrompts: plan.numWarmups,
    requestRate: Number.POSITIVE_INFINITY,
    maxConcurrency: 1,
    seed: plan.seed + 500_000,
    durationLimitS: 120,
  });
  await waitUntilIdle(target.baseUrl, plan.heartbeatMs);
}

/**
 * The sweep: at each rate, each configuration in turn (so slow drifts of a shared machine's load
 * fall on all of them alike), on the `mixed` dataset with the targets as SLO headers, waiting for
 * the cluster to drain after each run. Every run uses seed plan.seed: the same prompts in the same
 * order, arrivals scaled to the rate (the instances' prefix caches are off).
 */
export async function sweep(
  plan: GoodputPlan,
  targets: readonly SweepTarget[],
  ctx: SweepContext,
): Promise<BenchResultJson[]> {
  const runs: BenchResultJson[] = [];
  for (const rate of plan.rates) {
    for (const t of targets) {
      const run = await benchRun({
        baseUrl: t.baseUrl,
        model: ctx.model,
        dataset: { kind: 'mixed', shape: plan.dataset },
        targets: ctx.targets,
        tokensPerWord: ctx.tokensPerWord,
        label: t.config.name,
        numPrompts: plan.numPrompts,
        requestRate: rate,
        seed: plan.seed,
        durationLimitS: Math.ceil(plan.numPrompts / rate) + plan.drainLimitS,
      });
      ctx.say(runLine(run));
      runs.push(run);
      await waitUntilIdle(t.baseUrl, plan.heartbeatMs);
    }
  }
  return runs;
}
