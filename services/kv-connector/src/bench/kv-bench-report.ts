import type { KvBenchPoint } from './kv-bench-plan.js';

/** The headline figures: each transport's raw, ucx and nats GB/s at the largest KV size. */
export interface KvBenchSummary {
  largest: { shape: string; tokens: number; bytes: number };
  shm: { raw_gbps: number; ucx_gbps: number; nats_gbps: number };
  tcp: { raw_gbps: number; ucx_gbps: number; nats_gbps: number };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Picks the largest KV size measured and reads every path's figure there. */
export function summary(results: Record<string, KvBenchPoint[]>): KvBenchSummary {
  const all = Object.values(results).flat();
  const top = all.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const at = (key: string) =>
    round(results[key]?.find((p) => p.shape === top.shape && p.tokens === top.tokens)?.gbps ?? Number.NaN);
  const nats = at('nats'); // NATS has one path whatever UCX_TLS is
  return {
    largest: { shape: top.shape, tokens: top.tokens, bytes: top.bytes },
    shm: { raw_gbps: at('raw-shm'), ucx_gbps: at('ucx-shm'), nats_gbps: nats },
    tcp: { raw_gbps: at('raw-tcp'), ucx_gbps: at('ucx-tcp'), nats_gbps: nats },
  };
}

/** Prints one table row per (shape, tokens): GB/s and ms per transfer of each path, ratios to raw. */
export function printReport(results: Record<string, KvBenchPoint[]>, s: KvBenchSummary, file: string): void {
  const rows: string[][] = [
    [
      'shape',
      'tokens',
      'MB',
      'raw shm',
      'ucx shm',
      'ucx/raw',
      'raw tcp',
      'ucx tcp',
      'ucx/raw',
      'nats',
      'nats/raw shm',
    ],
  ];
  const find = (key: string, p: KvBenchPoint) =>
    results[key]?.find((q) => q.shape === p.shape && q.tokens === p.tokens);
  const cell = (q: KvBenchPoint | undefined) =>
    q === undefined ? '-' : `${q.gbps.toFixed(2)} GB/s ${q.latencyMs.toFixed(0)} ms`;
  const ratio = (a: KvBenchPoint | undefined, b: KvBenchPoint | undefined) =>
    a === undefined || b === undefined ? '-' : `${((100 * a.gbps) / b.gbps).toFixed(0)}%`;
  for (const p of results['raw-shm'] ?? []) {
    const [rs, us, rt, ut, n] = ['raw-shm', 'ucx-shm', 'raw-tcp', 'ucx-tcp', 'nats'].map((k) => find(k, p));
    rows.push([
      p.shape,
      String(p.tokens),
      (p.bytes / 1e6).toFixed(0),
      cell(rs),
      cell(us),
      ratio(us, rs),
      cell(rt),
      cell(ut),
      ratio(ut, rt),
      cell(n),
      ratio(n, rs),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => c.padStart(widths[j]!)).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  const x = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '-');
  console.log(
    `\nlargest KV (${s.largest.shape}, ${s.largest.tokens} tokens, ${(s.largest.bytes / 1e9).toFixed(2)} GB):`,
  );
  console.log(
    `  shm: raw ${s.shm.raw_gbps} GB/s, ucx ${s.shm.ucx_gbps} GB/s (${x(s.shm.ucx_gbps, s.shm.raw_gbps)} of raw, ${x(s.shm.ucx_gbps, s.shm.nats_gbps)}x nats)`,
  );
  console.log(
    `  tcp: raw ${s.tcp.raw_gbps} GB/s, ucx ${s.tcp.ucx_gbps} GB/s (${x(s.tcp.ucx_gbps, s.tcp.raw_gbps)} of raw), nats ${s.tcp.nats_gbps} GB/s`,
  );
  console.log(`\nwritten to ${file}`);
}
