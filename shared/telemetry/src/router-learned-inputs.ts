import { Counter, Gauge, type Registry } from 'prom-client';

/** What the cost model knows of one instance (routing's InstanceInputs fits). */
export interface LearnedInputsLike {
  instanceId: string;
  prefillTokensPerS: number;
  prefillSource: string;
  decodeFit: { interceptMs: number; slopeMsPerSeq: number };
  decodeSource: string;
  transferBytesPerS: number;
  transferSource: string;
  queuedPromptTokens: number;
  batchSize: number;
  freeBlocks: number;
  runningTpotTargetMs: number | null;
}

/** The router's counters (routing's RouterStatsSnapshot fits). */
export interface RouterStatsLike {
  queued: number;
  admittedAfterQueue: number;
  rejectedAfterQueue: number;
  queueWaitMsTotal: number;
  queuedNow: number;
}

/** Where the router's learned inputs and queue counters are read at scrape time. */
export interface RouterSources {
  /** Each served model's instances as the cost model sees them (RouterService.learnedInputs). */
  learned?: () => { model: string; inputs: readonly LearnedInputsLike[] }[];
  stats?: () => RouterStatsLike;
}

type Labels = 'model_name' | 'target_instance';

/**
 * The inputs a router predicts TTFT and TPOT from, as gauges per model and instance (labels
 * `target_instance`, and `source`: 'own' measured, 'model' its model's mean, 'prior' / 'default'
 * configured), read at scrape time; and the admission queue's counters.
 */
export function registerRouterSources(registry: Registry, sources: RouterSources): void {
  const learned = sources.learned;
  if (learned !== undefined) registerLearned(registry, learned);
  const stats = sources.stats;
  if (stats === undefined) return;
  const total = (name: string, help: string, read: (s: RouterStatsLike) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(stats()));
      },
    });
  total('pdserve:router_queued_total', 'Requests held in the admission queue.', (s) => s.queued);
  total('pdserve:router_queue_admitted_total', 'Held requests placed later.', (s) => s.admittedAfterQueue);
  total(
    'pdserve:router_queue_rejected_total',
    'Held requests refused in the end.',
    (s) => s.rejectedAfterQueue,
  );
  total(
    'pdserve:router_queue_wait_seconds_total',
    'Time held requests waited.',
    (s) => s.queueWaitMsTotal / 1000,
  );
  new Gauge({
    name: 'pdserve:router_queue_length',
    help: 'Requests held in the admission queue now.',
    registers: [registry],
    collect() {
      this.set(stats().queuedNow);
    },
  });
}

function registerLearned(registry: Registry, learned: NonNullable<RouterSources['learned']>): void {
  const gauge = <E extends string>(
    name: string,
    help: string,
    extra: E[],
    read: (i: LearnedInputsLike) => [number | null, Record<E, string>],
  ) =>
    new Gauge<Labels | E>({
      name,
      help,
      labelNames: ['model_name', 'target_instance', ...extra],
      registers: [registry],
      collect() {
        this.reset();
        for (const { model, inputs } of learned())
          for (const i of inputs) {
            const [value, labels] = read(i);
            if (value !== null)
              this.set({ model_name: model, target_instance: i.instanceId, ...labels } as never, value);
          }
      },
    });
  gauge('pdserve:router_prefill_tokens_per_second', 'Prefill speed the cost model uses.', ['source'], (i) => [
    i.prefillTokensPerS,
    { source: i.prefillSource },
  ]);
  gauge('pdserve:router_decode_step_base_seconds', 'Fitted decode step time at batch 0.', ['source'], (i) => [
    i.decodeFit.interceptMs / 1000,
    { source: i.decodeSource },
  ]);
  gauge(
    'pdserve:router_decode_step_per_seq_seconds',
    'Fitted decode step time per sequence.',
    ['source'],
    (i) => [i.decodeFit.slopeMsPerSeq / 1000, { source: i.decodeSource }],
  );
  gauge(
    'pdserve:router_transfer_bytes_per_second',
    'KV transfer bandwidth the cost model uses.',
    ['source'],
    (i) => [i.transferBytesPerS, { source: i.transferSource }],
  );
  gauge('pdserve:router_queued_prompt_tokens', 'Prefill work queued ahead (pending included).', [], (i) => [
    i.queuedPromptTokens,
    {},
  ]);
  gauge('pdserve:router_batch_size', 'Sequences decoding once queued ones join.', [], (i) => [
    i.batchSize,
    {},
  ]);
  gauge('pdserve:router_free_blocks', 'Free KV blocks after pending placements.', [], (i) => [
    i.freeBlocks,
    {},
  ]);
  gauge('pdserve:router_running_tpot_target_seconds', 'Tightest TPOT target decoding there.', [], (i) => [
    i.runningTpotTargetMs === null ? null : i.runningTpotTargetMs / 1000,
    {},
  ]);
}
