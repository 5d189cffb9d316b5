import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { BUCKETS } from './metric-buckets.js';
import { RequestTimer } from './request-timer.js';
import { type SloTargets, SloWindow } from './slo-window.js';

/** What the gateway's request metrics need beyond the registry. */
export interface RequestMetricsOptions {
  /** Targets for requests that bring none (absent: such requests count toward no SLO class). */
  defaultSlo?: SloTargets;
  /** The window of the attainment and goodput gauges (default 60 s). */
  windowMs?: number;
  /** Milliseconds clocks (tests pass fakes): `now` for the window, `monotonic` for latencies. */
  now?: () => number;
  monotonic?: () => number;
}

/**
 * The gateway's view of requests, under vLLM's names where the meaning is the same: TTFT, ITL,
 * TPOT and end-to-end latency histograms, prompt and generation token counters, finished
 * sequences by reason; and pdserve's SLO accounting per class (requests, met, attainment and
 * goodput over a window). The gateway starts a RequestTimer per prompt it sends to the backend.
 */
export class RequestMetrics {
  readonly ttft: Histogram<'model_name'>;
  readonly itl: Histogram<'model_name'>;
  readonly tpot: Histogram<'model_name'>;
  readonly e2e: Histogram<'model_name'>;
  readonly promptTokens: Counter<'model_name'>;
  readonly generationTokens: Counter<'model_name'>;
  readonly success: Counter<'model_name' | 'finished_reason'>;
  readonly errors: Counter<'model_name' | 'code'>;
  readonly sloRequests: Counter<'model_name' | 'slo_class'>;
  readonly sloMet: Counter<'model_name' | 'slo_class'>;
  readonly window: SloWindow;
  readonly #options: RequestMetricsOptions;

  constructor(registry: Registry, options: RequestMetricsOptions = {}) {
    this.#options = options;
    this.window = new SloWindow(options.windowMs ?? 60_000, options.now);
    const registers = [registry];
    const histogram = (name: string, help: string, buckets: readonly number[]) =>
      new Histogram({ name, help, labelNames: ['model_name'], buckets: [...buckets], registers });
    this.ttft = histogram('vllm:time_to_first_token_seconds', 'Time to first token (s).', BUCKETS.ttft);
    this.itl = histogram(
      'vllm:inter_token_latency_seconds',
      'Time between output tokens (s).',
      BUCKETS.perToken,
    );
    this.tpot = histogram(
      'vllm:request_time_per_output_token_seconds',
      "A request's decode time per output token after the first (s).",
      BUCKETS.perToken,
    );
    this.e2e = histogram(
      'vllm:e2e_request_latency_seconds',
      'End-to-end request latency (s).',
      BUCKETS.request,
    );
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.promptTokens = counter('vllm:prompt_tokens_total', 'Prompt tokens of started requests.', [
      'model_name',
    ]);
    this.generationTokens = counter('vllm:generation_tokens_total', 'Generated tokens.', ['model_name']);
    this.success = counter('vllm:request_success_total', 'Finished sequences by finish reason.', [
      'model_name',
      'finished_reason',
    ]);
    this.errors = counter('pdserve:request_errors_total', 'Requests that failed, by error code.', [
      'model_name',
      'code',
    ]);
    this.sloRequests = counter('pdserve:slo_requests_total', 'Requests with SLO targets that ended.', [
      'model_name',
      'slo_class',
    ]);
    this.sloMet = counter('pdserve:slo_met_total', 'Requests that met both their TTFT and TPOT targets.', [
      'model_name',
      'slo_class',
    ]);
    this.#windowGauges(registry);
  }

  /** A timer for one prompt of `model`, starting now; `slo` falls back to the default targets. */
  start(model: string, slo?: SloTargets): RequestTimer {
    const targets = slo ?? this.#options.defaultSlo;
    return new RequestTimer(this, model, targets, this.#options.monotonic ?? (() => performance.now()));
  }

  /** Records an ended request's SLO outcome (RequestTimer calls it). */
  recordSlo(model: string, targets: SloTargets | undefined, met: boolean): void {
    const sloClass = this.window.classOf(targets);
    if (sloClass === undefined) return;
    this.sloRequests.inc({ model_name: model, slo_class: sloClass });
    if (met) this.sloMet.inc({ model_name: model, slo_class: sloClass });
    this.window.add(model, sloClass, met);
  }

  #windowGauges(registry: Registry): void {
    const window = this.window;
    const labelNames = ['model_name', 'slo_class'] as const;
    const gauge = (name: string, help: string, pick: (s: ReturnType<SloWindow['stats']>[0]) => number) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          for (const s of window.stats()) this.set({ model_name: s.model, slo_class: s.sloClass }, pick(s));
        },
      });
    gauge(
      'pdserve:slo_attainment',
      'Share of recent requests that met their SLO (window).',
      (s) => s.attainment,
    );
    gauge('pdserve:goodput', 'Requests per second that met their SLO (window).', (s) => s.goodput);
  }
}
