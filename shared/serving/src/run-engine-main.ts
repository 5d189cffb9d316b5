import { hostname } from 'node:os';
import path from 'node:path';
import { loadModel } from '@pdserve/model';
import type { InstanceRole } from '@pdserve/protocol';
import { ConfigError, NatsClient } from '@pdserve/runtime';
import { ServiceTelemetry, SpanSummaryPublisher, startMetricsServer } from '@pdserve/telemetry';
import { EngineService } from './engine-service.js';
import { type EngineServiceConfig, engineServiceConfig } from './engine-service-config.js';
import { announceReady } from './ready-line.js';

function defaultModelName(modelPath: string): string {
  return path.parse(path.resolve(modelPath)).name;
}

/** The instance's telemetry (logger, tracer, registry) and its /metrics listener when a port is set. */
async function startTelemetry(role: InstanceRole, instanceId: string, cfg: EngineServiceConfig) {
  const telemetry = ServiceTelemetry.create({
    service: role,
    instanceId,
    logLevel: cfg.logLevel,
    logPrompts: cfg.logPrompts,
    ...(cfg.otlpEndpoint === undefined ? {} : { otlpEndpoint: cfg.otlpEndpoint }),
  });
  const port = cfg.metricsPort;
  const metrics =
    port === undefined ? null : await startMetricsServer(telemetry.registry, { port, host: cfg.metricsHost });
  return { telemetry, metrics };
}

async function startService(role: InstanceRole, cfg: EngineServiceConfig) {
  const instanceId = cfg.instanceId ?? `${role}-${hostname()}-${process.pid}`;
  const { telemetry, metrics } = await startTelemetry(role, instanceId, cfg);
  const logger = telemetry.logger;
  const model = loadModel(cfg.model, cfg.tokenizer === undefined ? {} : { tokenizerPath: cfg.tokenizer });
  const servedModelName = cfg.servedModelName ?? defaultModelName(cfg.model);
  const client = await NatsClient.connect({
    ...cfg.natsClient,
    servers: cfg.nats,
    name: `pdserve-${role}:${cfg.instanceId ?? process.pid}`,
    logger,
  });
  telemetry.addSpanProcessor(new SpanSummaryPublisher(client));
  const service = new EngineService({
    client,
    model,
    servedModelName,
    role,
    instanceId,
    engine: cfg.engine,
    ...(cfg.kvConnector.agentId === undefined
      ? {}
      : { kvConnector: { ...cfg.kvConnector, agentId: cfg.kvConnector.agentId } }),
    heartbeatMs: cfg.discovery.heartbeatMs,
    ttlMs: cfg.discovery.ttlMs,
    keepaliveMs: cfg.stream.keepaliveMs,
    lingerMs: cfg.stream.lingerMs,
    stepDelayMs: cfg.debug.stepDelayMs,
    logger,
    telemetry,
  });
  try {
    await service.start();
  } catch (error) {
    await service.stop();
    await client.close();
    throw error;
  }
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    await service.stop();
    await metrics?.close();
    await telemetry.shutdown();
    await client.close().catch(() => {});
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return { service, metricsUrl: metrics?.url };
}

/**
 * The body of the prefill and decode mains (and a colocated 'both' instance): reads the config
 * (exit 2 with every problem listed when it is wrong), loads the model, connects to NATS, starts an
 * EngineService in `role`, prints the ready line, and on SIGINT/SIGTERM stops it (leaving
 * discovery, unlinking the KV pool) and exits 0. Any start failure exits 1 with its reason.
 */
export async function runEngineMain(role: InstanceRole, argv: readonly string[] = process.argv.slice(2)) {
  const loader = engineServiceConfig(role);
  if (argv.includes('--help')) {
    process.stdout.write(`pdserve ${role} service; settings (flag [env] (default)):\n${loader.help()}\n`);
    return;
  }
  try {
    const cfg = loader.load({ argv });
    const { service, metricsUrl } = await startService(cfg.role ?? role, cfg);
    const info = service.info;
    const ready = { instanceId: info.id, model: info.model, numBlocks: info.numBlocks };
    announceReady(info.role, metricsUrl === undefined ? ready : { ...ready, metricsUrl });
  } catch (error) {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`pdserve ${role}: ${why}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}
