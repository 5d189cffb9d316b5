#!/usr/bin/env node
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeModel } from '@pdserve/model';
import { Command } from 'commander';
import { intOption, numberOption } from '../../options.js';
import type { ServeCluster } from '../../serve/serve-cluster.js';
import { resultsDir } from '../bench-output.js';
import { type Calibration, calibrate } from './goodput-calibration.js';
import { startGoodputCluster } from './goodput-cluster.js';
import { writeGoodputOutputs } from './goodput-outputs.js';
import { GOODPUT_DEFAULTS, type GoodputConfig, type GoodputPlan } from './goodput-plan.js';
import { sweep, warmUp } from './goodput-sweep.js';

const MODEL = fileURLToPath(new URL('../../../../bench/models/110m-f32.gguf', import.meta.url));
const MODEL_NAME = '110m-f32';

interface Flags {
  rates?: number[];
  numPrompts?: number;
  configs?: string;
  ttftMs?: number;
  tpotMs?: number;
  seed?: number;
}

function planOf(flags: Flags): GoodputPlan {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const rates = flags.rates ?? GOODPUT_DEFAULTS.rates;
  const names = flags.configs?.split(',');
  return {
    ...GOODPUT_DEFAULTS,
    model: MODEL,
    rates,
    numPrompts: flags.numPrompts ?? GOODPUT_DEFAULTS.numPrompts,
    seed: flags.seed ?? GOODPUT_DEFAULTS.seed,
    configs:
      names === undefined
        ? GOODPUT_DEFAULTS.configs
        : GOODPUT_DEFAULTS.configs.filter((c) => names.includes(c.name)),
    ...(flags.ttftMs !== undefined && flags.tpotMs !== undefined
      ? { targets: { ttftMs: flags.ttftMs, tpotMs: flags.tpotMs } }
      : {}),
    outDir: join(resultsDir(), `goodput-${stamp}`),
  };
}

/** Starts every configuration's cluster (all stay up for the interleaved sweep). */
async function startAll(plan: GoodputPlan, log: (line: string) => void, say: (line: string) => void) {
  const clusters: { config: GoodputConfig; cluster: ServeCluster }[] = [];
  try {
    for (const config of plan.configs) {
      say(
        `${config.name}: starting ${config.prefill} prefill + ${config.decode} decode, policy ${config.policy}`,
      );
      const cluster = await startGoodputCluster(plan, config, (l) => log(`${config.name} ${l}`));
      clusters.push({ config, cluster });
      // The services run in their own process groups: take them down if this process goes.
      process.once('exit', () => cluster.killNow());
    }
  } catch (error) {
    await Promise.all(clusters.map((c) => c.cluster.stop()));
    throw error;
  }
  return clusters;
}

/** Calibrates on the round-robin and heuristic clusters unless the plan fixes the targets. */
async function targetsFor(
  plan: GoodputPlan,
  clusters: { config: GoodputConfig; cluster: ServeCluster }[],
  say: (line: string) => void,
) {
  if (plan.targets !== undefined) return { targets: plan.targets, calibration: null, tokensPerWord: 1 };
  const measured = clusters
    .filter((c) => c.config.policy !== 'slo')
    .map((c) => ({ name: c.config.name, url: c.cluster.url }));
  const calibration = await calibrate(plan, measured, MODEL_NAME);
  const t = calibration.targets;
  for (const u of calibration.unloaded)
    say(
      `calibration on ${u.config}: unloaded long-prompt TTFT ${u.longTtftMs.toFixed(0)} ms, chat TPOT ${u.chatTpotMs.toFixed(1)} ms`,
    );
  say(
    `targets: TTFT ${t.ttftMs} ms (${plan.ttftScale} x ${calibration.unloadedLongTtftMs.toFixed(0)}), TPOT ${t.tpotMs} ms (${plan.tpotScale} x ${calibration.unloadedChatTpotMs.toFixed(1)})`,
  );
  return { targets: t, calibration, tokensPerWord: calibration.tokensPerWord };
}

/** `npm run bench:goodput`: the three configurations side by side on one machine. */
async function run(flags: Flags): Promise<void> {
  const plan = planOf(flags);
  const t0 = Date.now();
  mkdirSync(plan.outDir, { recursive: true });
  if (!existsSync(plan.model)) {
    console.log(`writing the random-weight 110m model to ${plan.model}`);
    makeModel({ shape: '110m', format: 'gguf', dtype: 'f32', out: plan.model });
  }
  const logFile = createWriteStream(join(plan.outDir, 'cluster.log'));
  const say = (line: string) => console.log(`[goodput] ${line}`);
  const clusters = await startAll(plan, (l) => logFile.write(`${l}\n`), say);
  try {
    const { targets, calibration, tokensPerWord } = await targetsFor(plan, clusters, say);
    const ctx = { model: MODEL_NAME, targets, tokensPerWord, say };
    const sweepTargets = clusters.map((c) => ({ config: c.config, baseUrl: c.cluster.url }));
    for (const t of sweepTargets) await warmUp(plan, t, ctx);
    const runs = await sweep(plan, sweepTargets, ctx);
    const { runs: _calibrationRuns, ...cal } = calibration ?? { runs: [] };
    writeGoodputOutputs({
      plan,
      targets,
      calibration: calibration === null ? null : (cal as Omit<Calibration, 'runs'>),
      runs,
      startedAt: new Date(t0).toISOString(),
      elapsedS: (Date.now() - t0) / 1000,
    });
  } finally {
    for (const c of [...clusters].reverse()) await c.cluster.stop();
    logFile.end();
  }
  say(`wrote ${plan.outDir} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

const program = new Command('goodput-bench')
  .description('goodput vs request rate: round-robin colocated, fixed disaggregated, SLO-aware disaggregated')
  .option('--rates <list>', 'request rates (req/s), comma-separated', (v: string) =>
    v.split(',').map((x) => numberOption(0.001, 1000)(x.trim())),
  )
  .option('--num-prompts <n>', 'requests per rate', intOption(1))
  .option('--configs <names>', 'a subset of the configurations, comma-separated')
  .option('--ttft-ms <ms>', 'fixed TTFT target (with --tpot-ms: no calibration)', intOption(1))
  .option('--tpot-ms <ms>', 'fixed TPOT target', intOption(1))
  .option('--seed <n>', 'dataset and arrival seed', intOption(0))
  .action(run);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
