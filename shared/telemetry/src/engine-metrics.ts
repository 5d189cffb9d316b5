import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { BUCKETS } from './metric-buckets.js';

/** The scheduler counters the metrics read at scrape time (the engine's SchedulerStats fits). */
export interface EngineStatsLike {
  numRunningReqs: number;
  numWaitingReqs: number;
  /** Fraction of KV blocks in use, 0..1. */
  kvCacheUsage: number;
  /** Cumulative prompt tokens looked up in / found in the prefix cache. */
  prefixCacheStats: { queries: number; hits: number };
  numPreemptions: number;
}

type ModelLabel = 'model_name';

/**
 * An engine instance's metrics under vLLM's names: running and waiting requests, KV cache usage,
 * prefix cache queries and hits, preemptions (read from the scheduler at scrape time), and the
 * per-request queue, prefill and decode times that EngineRequestTelemetry observes.
 */
export class EngineMetrics {
  readonly queueTime: Histogram<ModelLabel>;
  readonly prefillTime: Histogram<ModelLabel>;
  readonly decodeTime: Histogram<ModelLabel>;
  readonly labels: { model_name: string };

  constructor(registry: Registry, model: string, stats: () => EngineStatsLike) {
    this.labels = { model_name: model };
    const registers = [registry];
    const labelNames: ModelLabel[] = ['model_name'];
    const histogram = (name: string, help: string) =>
      new Histogram({ name, help, labelNames, buckets: [...BUCKETS.request], registers });
    this.queueTime = histogram(
      'vllm:request_queue_time_seconds',
      'Time a request waited before it first ran (s).',
    );
    this.prefillTime = histogram(
      'vllm:request_prefill_time_seconds',
      'Time from first scheduled to first token (s).',
    );
    this.decodeTime = histogram('vllm:request_decode_time_seconds', 'Time from first to last token (s).');
    const labels = this.labels;
    const gauge = (name: string, help: string, read: (s: EngineStatsLike) => number) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.set(labels, read(stats()));
        },
      });
    gauge('vllm:num_requests_running', 'Requests in the running batch.', (s) => s.numRunningReqs);
    gauge('vllm:num_requests_waiting', 'Requests waiting to run.', (s) => s.numWaitingReqs);
    gauge('vllm:kv_cache_usage_perc', 'Fraction of KV cache blocks in use (0..1).', (s) => s.kvCacheUsage);
    const total = (name: string, help: string, read: (s: EngineStatsLike) => number) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          this.inc(labels, read(stats()));
        },
      });
    total('vllm:prefix_cache_queries_total', 'Prompt tokens looked up in the prefix cache.', (s) => {
      return s.prefixCacheStats.queries;
    });
    total(
      'vllm:prefix_cache_hits_total',
      'Prompt tokens found in the prefix cache.',
      (s) => s.prefixCacheStats.hits,
    );
    total('vllm:num_preemptions_total', 'Requests preempted (to be recomputed).', (s) => s.numPreemptions);
  }
}
