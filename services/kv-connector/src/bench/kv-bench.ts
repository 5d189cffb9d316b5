#!/usr/bin/env node
/**
 * `npm run bench:kv [-- --json] [--tokens 1024,8192] [--shapes 110m]`: KV transfer bandwidth in
 * one run. For each KV size (1k, 8k, 32k tokens of the 110m and 1b-gqa shapes, f32): the UCX
 * binding alone between two processes (raw: a tagged rendezvous send from one pool straight into
 * the other, the primitive the ucx transport uses) over shared memory and over TCP; the connector
 * (two kv-connector agent processes) over UCX on each, and over NATS. Prints GB/s, latency per
 * transfer and each path's ratio to raw; `--json` prints one JSON object instead. Either way the
 * JSON goes to bench/results/kv-<time>.json.
 */
import { measureUcxBandwidth } from '@pdserve/native';
import { startNatsServer } from '@pdserve/testing';
import { measureConnector } from './kv-bench-connector.js';
import { writeBenchResult } from './kv-bench-output.js';
import {
  type KvBenchPoint,
  kvBytes,
  poolLayout,
  repeats,
  SHAPES,
  TOKENS,
  UCX_PATHS,
} from './kv-bench-plan.js';
import { printReport, summary } from './kv-bench-report.js';

const GB = 1e9;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const tokens = arg('tokens')?.split(',').map(Number) ?? [...TOKENS];
  const shapes = SHAPES.filter((s) =>
    (arg('shapes')?.split(',') ?? SHAPES.map((x) => x.name)).includes(s.name),
  );
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const results: Record<string, KvBenchPoint[]> = {};

  for (const path of UCX_PATHS) {
    log(`raw UCX (binding alone) over ${path.name} (UCX_TLS=${path.tls})`);
    const points: KvBenchPoint[] = [];
    for (const shape of shapes) {
      const sizes = tokens.map((t) => kvBytes(shape, t));
      const budget = Math.max(...sizes.map((b) => repeats(b, 2 * GB, 2) * b));
      const r = await measureUcxBandwidth({
        tls: path.tls,
        layout: poolLayout(shape, Math.max(...tokens)),
        sizes,
        mode: 'tag',
        bytesPerSize: 2 * GB,
      });
      log(
        `  ${shape.name}: ${r.points.map((p) => `${p.gbps.toFixed(2)} GB/s`).join(', ')} (${r.transports.join(', ')}; ${(budget / GB).toFixed(1)} GB)`,
      );
      points.push(...r.points.map((p, i) => ({ shape: shape.name, tokens: tokens[i] as number, ...p })));
    }
    results[`raw-${path.name}`] = points;
  }

  const nats = await startNatsServer({ maxPayloadBytes: 8 * 1024 * 1024 });
  try {
    for (const path of UCX_PATHS) {
      log(`connector over UCX ${path.name} (UCX_TLS=${path.tls})`);
      results[`ucx-${path.name}`] = await measureConnector(
        nats.url,
        { transport: 'ucx', tls: path.tls },
        shapes,
        tokens,
        2 * GB,
        log,
      );
    }
    log('connector over NATS (8 MiB max payload)');
    results.nats = await measureConnector(nats.url, { transport: 'nats' }, shapes, tokens, 0.5 * GB, log);
  } finally {
    await nats.stop();
  }

  const out = { ...summary(results), points: results };
  const file = writeBenchResult('kv', out);
  if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else printReport(results, out, file);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
