import type { LoadReport } from '@pdserve/protocol';
import { Gauge, type Registry } from 'prom-client';

/** One live instance as the router sees it (routing's InstanceSnapshot fits). */
export interface RouterInstanceView {
  info: { id: string; role: string };
  load: LoadReport;
  cachedBlocks: ReadonlySet<string>;
  pending?: { decodeRequests: number; promptTokens: number; blocks: number };
}

/** The router's cluster state (routing's RouterClusterState fits). */
export interface RouterViewSource {
  models(): string[];
  snapshot(model: string): { instances: readonly RouterInstanceView[] };
}

type Labels = 'model_name' | 'target_instance' | 'role';
type Read = (i: RouterInstanceView) => number;

/**
 * The inputs a router predicts TTFT and TPOT from, as gauges per model and instance, read from its
 * cluster state at scrape time: measured prefill speed, decode step time by batch size, waiting and
 * running requests, KV usage, cached prefix blocks (from KV events) and placements not yet seen in
 * a heartbeat. (SLO router: when the cost model learns more, e.g. link bandwidth per pair, expose
 * it on RouterInstanceView or beside it and add a gauge here.)
 */
export function registerRouterLearnedInputs(registry: Registry, view: RouterViewSource): void {
  const each = (visit: (model: string, i: RouterInstanceView) => void) => {
    for (const model of view.models()) for (const i of view.snapshot(model).instances) visit(model, i);
  };
  const labelsOf = (model: string, i: RouterInstanceView) => ({
    model_name: model,
    target_instance: i.info.id,
    role: i.info.role,
  });
  const gauge = (name: string, help: string, read: Read) =>
    new Gauge<Labels>({
      name,
      help,
      labelNames: ['model_name', 'target_instance', 'role'],
      registers: [registry],
      collect() {
        this.reset();
        each((model, i) => this.set(labelsOf(model, i), read(i)));
      },
    });
  gauge('pdserve:router_prefill_tokens_per_second', 'Measured prefill speed per instance.', (i) => {
    return i.load.prefillTokensPerS;
  });
  gauge(
    'pdserve:router_instance_waiting',
    'Waiting requests per instance (heartbeat).',
    (i) => i.load.numWaiting,
  );
  gauge(
    'pdserve:router_instance_running',
    'Running requests per instance (heartbeat).',
    (i) => i.load.numRunning,
  );
  gauge(
    'pdserve:router_instance_kv_usage',
    'KV cache usage per instance (0..1, heartbeat).',
    (i) => i.load.kvUsage,
  );
  gauge('pdserve:router_instance_cached_blocks', 'Prefix blocks the router knows an instance holds.', (i) => {
    return i.cachedBlocks.size;
  });
  gauge('pdserve:router_instance_pending_requests', 'Placements not yet visible in a heartbeat.', (i) => {
    return i.pending?.decodeRequests ?? 0;
  });
  new Gauge<Labels | 'batch_size'>({
    name: 'pdserve:router_decode_step_seconds',
    help: 'Measured decode step time per instance and batch size.',
    labelNames: ['model_name', 'target_instance', 'role', 'batch_size'],
    registers: [registry],
    collect() {
      this.reset();
      each((model, i) => {
        for (const s of i.load.decodeStepMs)
          this.set({ ...labelsOf(model, i), batch_size: String(s.batchSize) }, s.stepMs / 1000);
      });
    },
  });
}
