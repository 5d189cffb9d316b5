import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Counter, Histogram } from 'prom-client';
import { BUCKETS } from './metric-buckets.js';
import { type RouterSources, registerRouterSources } from './router-learned-inputs.js';
import type { ServiceTelemetry } from './service-telemetry.js';
import { ATTR, SPAN } from './span-attributes.js';
import { contextFromHeaders } from './trace-headers.js';

/** What the router is asked (the protocol's RouteRequest fits). */
export interface RouteRequestLike {
  requestId: string;
  model: string;
  numPromptTokens: number;
}

/** What it answers (the protocol's RouteDecision fits). */
export interface RouteDecisionLike {
  mode: string;
  prefillInstanceId?: string;
  decodeInstanceId: string;
  numCachedTokens: number;
  predictedTtftMs: number;
  predictedTpotMs: number;
}

/**
 * A router's traces and metrics: each decision is a `router.route` span (child of the gateway's
 * `gateway.route`, from the request's headers) carrying the option chosen and the predicted TTFT
 * and TPOT; pdserve:router_decisions_total by option and pdserve:router_rejections_total by reason
 * count them, histograms keep the decision time and the predictions, and the learned inputs and
 * queue counters are read from the router at scrape time (registerRouterSources). RouterService
 * wraps each decision in `route()` (as its `observer`).
 */
export class RouterTelemetry {
  readonly #telemetry: ServiceTelemetry;
  readonly #policy: string;
  readonly #decisions: Counter<'model_name' | 'option'>;
  readonly #rejections: Counter<'model_name' | 'reason'>;
  readonly #decisionTime: Histogram<'model_name'>;
  readonly #predictedTtft: Histogram<'model_name' | 'option'>;
  readonly #predictedTpot: Histogram<'model_name' | 'option'>;

  constructor(telemetry: ServiceTelemetry, options: { policy: string } & RouterSources) {
    this.#telemetry = telemetry;
    this.#policy = options.policy;
    const registers = [telemetry.registry];
    this.#decisions = new Counter({
      name: 'pdserve:router_decisions_total',
      help: 'Route decisions by option (colocated, disaggregated).',
      labelNames: ['model_name', 'option'],
      registers,
    });
    this.#rejections = new Counter({
      name: 'pdserve:router_rejections_total',
      help: 'Requests the router refused, by reason (the ServiceError code).',
      labelNames: ['model_name', 'reason'],
      registers,
    });
    const histogram = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Histogram<L>({ name, help, labelNames, buckets: [...BUCKETS.ttft], registers });
    this.#decisionTime = histogram('pdserve:router_decision_seconds', 'Time to decide a route.', [
      'model_name',
    ]);
    this.#predictedTtft = histogram(
      'pdserve:router_predicted_ttft_seconds',
      'Predicted TTFT of chosen options.',
      ['model_name', 'option'],
    );
    this.#predictedTpot = histogram(
      'pdserve:router_predicted_tpot_seconds',
      'Predicted TPOT of chosen options.',
      ['model_name', 'option'],
    );
    registerRouterSources(telemetry.registry, options);
  }

  /**
   * Runs `decide` for `request` (message `headers`) inside a span (a held request's wait included);
   * records the outcome; rethrows refusals.
   */
  async route<T extends RouteDecisionLike>(
    request: RouteRequestLike,
    headers: Record<string, string>,
    decide: () => T | Promise<T>,
  ): Promise<T> {
    const span = this.#telemetry.tracer.startSpan(
      SPAN.routerRoute,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR.requestId]: request.requestId,
          [ATTR.model]: request.model,
          [ATTR.promptTokens]: request.numPromptTokens,
          [ATTR.routePolicy]: this.#policy,
        },
      },
      contextFromHeaders(headers),
    );
    const started = performance.now();
    const model = { model_name: request.model };
    try {
      const decision = await decide();
      this.#decided(span, model, decision);
      return decision;
    } catch (error) {
      const reason = errorCode(error);
      this.#rejections.inc({ ...model, reason });
      span.setAttribute(ATTR.rejection, reason);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : reason,
      });
      throw error;
    } finally {
      this.#decisionTime.observe(model, (performance.now() - started) / 1000);
      span.end();
    }
  }

  #decided(span: Span, model: { model_name: string }, d: RouteDecisionLike): void {
    const labels = { ...model, option: d.mode };
    this.#decisions.inc(labels);
    this.#predictedTtft.observe(labels, d.predictedTtftMs / 1000);
    this.#predictedTpot.observe(labels, d.predictedTpotMs / 1000);
    span.setAttributes({
      [ATTR.routeMode]: d.mode,
      [ATTR.routeDecodeInstance]: d.decodeInstanceId,
      [ATTR.routeCachedTokens]: d.numCachedTokens,
      [ATTR.predictedTtftMs]: d.predictedTtftMs,
      [ATTR.predictedTpotMs]: d.predictedTpotMs,
      ...(d.prefillInstanceId === undefined ? {} : { [ATTR.routePrefillInstance]: d.prefillInstanceId }),
    });
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'internal';
}
