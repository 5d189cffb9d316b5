#!/usr/bin/env node
import { hostname } from 'node:os';
import {
  createRoutingPolicy,
  RouterService,
  type RouterServiceConfig,
  RouterStats,
  routerServiceSchema,
} from '@pdserve/routing';
import { ConfigError, defineServiceConfig, NatsClient } from '@pdserve/runtime';
import { announceReady } from '@pdserve/serving';
import {
  RouterTelemetry,
  ServiceTelemetry,
  SpanSummaryPublisher,
  startMetricsServer,
  type TelemetryConfig,
  telemetryConfigShape,
} from '@pdserve/telemetry';

/** The router's settings plus the observability ones (--metrics-port, --otlp-endpoint, ...). */
const routerConfig = defineServiceConfig(
  'pdserve router service',
  routerServiceSchema.extend(telemetryConfigShape),
);

/** This router's telemetry: logs, spans (OTLP when configured, summaries on NATS), /metrics. */
async function startTelemetry(cfg: RouterServiceConfig & TelemetryConfig) {
  const telemetry = ServiceTelemetry.create({
    service: 'router',
    instanceId: `router-${hostname()}-${process.pid}`,
    logLevel: cfg.logLevel,
    ...(cfg.otlpEndpoint === undefined ? {} : { otlpEndpoint: cfg.otlpEndpoint }),
  });
  const port = cfg.metricsPort;
  const metrics =
    port === undefined ? null : await startMetricsServer(telemetry.registry, { port, host: cfg.metricsHost });
  return { telemetry, metrics };
}

/** The router with its telemetry as observer (which reads the router's inputs and counters at scrape time). */
function createRouter(
  cfg: RouterServiceConfig,
  client: NatsClient,
  telemetry: ServiceTelemetry,
): RouterService {
  const policy = createRoutingPolicy(cfg);
  const scraped: { router?: RouterService } = {};
  const observer = new RouterTelemetry(telemetry, {
    policy: policy.name,
    learned: () => {
      const r = scraped.router;
      return r === undefined
        ? []
        : r.state.models().map((model) => ({ model, inputs: r.learnedInputs(model) }));
    },
    stats: () => (scraped.router ?? { stats: new RouterStats() }).stats.snapshot(),
  });
  const router = new RouterService({
    client,
    policy,
    deadAfterMs: cfg.discovery.deadAfterMs,
    ttlMs: cfg.discovery.ttlMs,
    maxQueueMs: cfg.slo.maxQueueMs,
    pendingGraceMs: cfg.slo.pendingGraceMs,
    logger: telemetry.logger,
    observer,
  });
  scraped.router = router;
  return router;
}

/** The router service: answers route requests for every model with live instances (settings: --help). */
async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(
      `pdserve router service; settings (flag [env] (default)):\n${routerConfig.help()}\n`,
    );
    return;
  }
  const cfg = routerConfig.load({ argv });
  const { telemetry, metrics } = await startTelemetry(cfg);
  const logger = telemetry.logger;
  const client = await NatsClient.connect({
    ...cfg.natsClient,
    servers: cfg.nats,
    name: `pdserve-router:${process.pid}`,
    logger,
  });
  telemetry.addSpanProcessor(new SpanSummaryPublisher(client));
  const router = createRouter(cfg, client, telemetry);
  await router.start();
  const stop = async (signal: string) => {
    logger.info({ signal, ...router.stats.snapshot() }, 'stopping');
    await router.stop();
    await metrics?.close();
    await telemetry.shutdown();
    await client.close().catch(() => {});
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  announceReady('router', {
    policy: router.policy.name,
    ...(metrics === null ? {} : { metricsUrl: metrics.url }),
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`pdserve router: ${why}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
