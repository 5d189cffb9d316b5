import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import { EngineMetrics } from './engine-metrics.js';
import { registerKvAgentGauges } from './kv-agent-gauges.js';
import { KvTransferTelemetry } from './kv-transfer-telemetry.js';
import { RequestMetrics } from './request-metrics.js';
import { RouterTelemetry } from './router-telemetry.js';
import { ServiceTelemetry } from './service-telemetry.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string) => readFileSync(`${ROOT}${file}`, 'utf8');

/** The gateway's HTTP counter, registered outside this package (services/gateway GatewayMetrics). */
const GATEWAY_COUNTER = { name: 'pdserve_gateway_requests_total', type: 'counter' };

/** Every metric the services register, by name, with its type. */
async function registeredMetrics(): Promise<Map<string, string>> {
  const registries: Registry[] = [];
  const telemetry = (service: string) => {
    const t = ServiceTelemetry.disabled(service, service);
    registries.push(t.registry);
    return t;
  };
  new RequestMetrics(telemetry('gateway').registry);
  new EngineMetrics(telemetry('decode').registry, 'm', () => ({
    numRunningReqs: 0,
    numWaitingReqs: 0,
    kvCacheUsage: 0,
    prefixCacheStats: { queries: 0, hits: 0 },
    numPreemptions: 0,
  }));
  const stats = {
    queued: 0,
    admittedAfterQueue: 0,
    rejectedAfterQueue: 0,
    queueWaitMsTotal: 0,
    queuedNow: 0,
  };
  new RouterTelemetry(telemetry('router'), { policy: 'p', learned: () => [], stats: () => stats });
  const agent = telemetry('kv-connector');
  new KvTransferTelemetry(agent);
  registerKvAgentGauges(agent.registry, () => ({ attachments: 0, inbound: 0, outbound: 0 }));
  const out = new Map([[GATEWAY_COUNTER.name, GATEWAY_COUNTER.type]]);
  for (const r of registries) for (const m of await r.getMetricsAsJSON()) out.set(m.name, String(m.type));
  return out;
}

/** The metric names a PromQL expression reads (histogram series suffixes stripped). */
function namesIn(expr: string, registered: Map<string, string>): string[] {
  return [...expr.matchAll(/(?:vllm|pdserve):[a-z0-9_]+/g)].map(([name]) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return registered.get(base) === 'histogram' ? base : name;
  });
}

describe('observability assets agree with the metrics the services register', () => {
  it('docs/observability.md lists every metric, with its type, and no other', async () => {
    const registered = await registeredMetrics();
    const rows = [...read('docs/observability.md').matchAll(/^\| `([a-z0-9_:]+)` \| (\w+) \|/gm)];
    const documented = new Map(rows.map((m) => [m[1], m[2]]));
    assert.deepEqual([...documented.keys()].sort(), [...registered.keys()].sort());
    for (const [name, type] of documented) assert.equal(type, registered.get(name), name);
  });

  it('the Grafana dashboard queries only registered metrics, and covers the required panels', async () => {
    const registered = await registeredMetrics();
    const dashboard = JSON.parse(read('infra/observability/grafana/dashboards/pdserve.json')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const used = new Set<string>();
    for (const p of dashboard.panels)
      for (const t of p.targets)
        for (const name of namesIn(t.expr, registered)) {
          assert.ok(registered.has(name), `${p.title}: ${name} is not a registered metric`);
          used.add(name);
        }
    for (const name of [
      'vllm:time_to_first_token_seconds',
      'vllm:request_time_per_output_token_seconds',
      'vllm:inter_token_latency_seconds',
      'pdserve:slo_met_total',
      'vllm:num_requests_waiting',
      'vllm:kv_cache_usage_perc',
      'vllm:prefix_cache_hits_total',
      'pdserve:kv_transfer_bytes_total',
    ])
      assert.ok(used.has(name), `the dashboard shows ${name}`);
  });

  it('Prometheus scrapes services that compose.yaml defines, and compose mounts files that exist', () => {
    const compose = read('compose.yaml');
    const prometheus = read('infra/observability/prometheus.yml');
    const lists = [...prometheus.matchAll(/(?:targets|names): \[([^\]]*)\]/g)].map((m) => m[1]);
    const hosts = lists.flatMap((l) => [...l.matchAll(/"([a-z0-9-]+)(?::\d+)?"/g)].map((m) => m[1]));
    assert.ok(hosts.length >= 5);
    for (const host of hosts)
      assert.match(compose, new RegExp(`^  ${host}:$`, 'm'), `${host} in compose.yaml`);
    const mounts = [...compose.matchAll(/- \.\/(infra\/observability\/[^:]+):/g)].map((m) => m[1]);
    assert.ok(mounts.length >= 4);
    for (const file of mounts) assert.ok(existsSync(`${ROOT}${file}`), file);
  });
});
