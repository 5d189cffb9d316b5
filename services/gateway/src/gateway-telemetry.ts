import { spanSummaryBatchCodec, subjects } from '@pdserve/protocol';
import type { NatsClient, TypedSubscription } from '@pdserve/runtime';
import { RecentRequests, RequestMetrics, type ServiceTelemetry, type SloTargets } from '@pdserve/telemetry';

/** How the gateway's telemetry is set up beyond the process's ServiceTelemetry. */
export interface GatewayTelemetryOptions {
  /** SLO targets of requests that bring none (their SLO class); absent: they count toward none. */
  defaultSlo?: SloTargets;
  /** Requests the status page keeps (default 50). */
  recentRequests?: number;
}

/**
 * The gateway's observability: the process's logger, tracer and registry (ServiceTelemetry), the
 * request metrics under vLLM's names with SLO accounting (RequestMetrics), and the recent requests
 * with their spans for /dashboard (RecentRequests sees the gateway's own spans; `follow` adds the
 * spans the other services publish on NATS). The gateway main builds one and passes it to the app
 * (GatewayOptions.telemetry) and to the NatsBackend.
 */
export class GatewayTelemetry {
  readonly requests: RequestMetrics;
  readonly recent: RecentRequests;

  constructor(
    readonly service: ServiceTelemetry,
    options: GatewayTelemetryOptions = {},
  ) {
    this.requests = new RequestMetrics(
      service.registry,
      options.defaultSlo === undefined ? {} : { defaultSlo: options.defaultSlo },
    );
    this.recent = new RecentRequests(options.recentRequests ?? 50);
    service.addSpanProcessor(this.recent);
  }

  /** Takes the span summaries every service publishes (for the requests this gateway serves). */
  follow(client: NatsClient): TypedSubscription {
    return client.subscribe(subjects.telemetrySpans(), spanSummaryBatchCodec, (batch) =>
      this.recent.addRemote(batch.spans),
    );
  }

  /** The registry's metrics in Prometheus text format. */
  metricsText(): Promise<string> {
    return this.service.registry.metrics();
  }
}
