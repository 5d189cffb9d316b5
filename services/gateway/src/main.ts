#!/usr/bin/env node
import { hostname } from 'node:os';
import path from 'node:path';
import { ConfigError, NatsClient } from '@pdserve/runtime';
import { announceReady } from '@pdserve/serving';
import { ServiceTelemetry } from '@pdserve/telemetry';
import { type GatewayServiceConfig, gatewayServiceConfig } from './gateway-service-config.js';
import { GatewayTelemetry } from './gateway-telemetry.js';
import { LocalBackend } from './local-backend.js';
import { NatsBackend } from './nats-backend.js';
import { loadServedTokenizer } from './served-tokenizer.js';
import type { ServingBackend } from './serving-backend.js';
import { startGateway } from './start-gateway.js';

/** A backend and what stopping it takes. */
interface OpenBackend {
  backend: ServingBackend;
  close(): Promise<void>;
}

function localBackend(cfg: GatewayServiceConfig): OpenBackend {
  const backend = LocalBackend.load({
    modelPath: cfg.model,
    ...(cfg.tokenizer === undefined ? {} : { tokenizerPath: cfg.tokenizer }),
    ...(cfg.servedModelName === undefined ? {} : { servedModelName: cfg.servedModelName }),
    ...(cfg.maxModelLen === undefined ? {} : { maxModelLen: cfg.maxModelLen }),
    ...(cfg.numBlocks === undefined ? {} : { numBlocks: cfg.numBlocks }),
    ...(cfg.dtype === undefined ? {} : { dtype: cfg.dtype }),
    ...(cfg.kvDtype === undefined ? {} : { kvDtype: cfg.kvDtype }),
    ...(cfg.maxNumSeqs === undefined ? {} : { maxNumSeqs: cfg.maxNumSeqs }),
  });
  return { backend, close: async () => backend.close() };
}

async function natsBackend(cfg: GatewayServiceConfig, telemetry: GatewayTelemetry): Promise<OpenBackend> {
  const served = loadServedTokenizer(cfg.model, cfg.tokenizer);
  const name = cfg.servedModelName ?? path.parse(path.resolve(cfg.model)).name;
  const client = await NatsClient.connect({
    ...cfg.natsClient,
    servers: cfg.nats,
    name: `pdserve-gateway:${process.pid}`,
    logger: telemetry.service.logger,
  });
  const spans = telemetry.follow(client);
  const backend = await NatsBackend.start({
    client,
    models: [{ name, served }],
    ...cfg.cluster,
    deadAfterMs: cfg.discovery.deadAfterMs,
    ttlMs: cfg.discovery.ttlMs,
    telemetry: telemetry.service,
  });
  return {
    backend,
    close: async () => {
      spans.unsubscribe();
      backend.close();
      await client.close().catch(() => {});
    },
  };
}

/** The gateway's telemetry: logs, spans (OTLP when configured), request metrics, the status page. */
function gatewayTelemetry(cfg: GatewayServiceConfig): GatewayTelemetry {
  const service = ServiceTelemetry.create({
    service: 'gateway',
    instanceId: `gateway-${hostname()}-${process.pid}`,
    logLevel: cfg.logLevel,
    logPrompts: cfg.logPrompts,
    ...(cfg.otlpEndpoint === undefined ? {} : { otlpEndpoint: cfg.otlpEndpoint }),
  });
  const { ttftMs, tpotMs } = cfg.slo;
  const defaultSlo = ttftMs === undefined && tpotMs === undefined ? undefined : { ttftMs, tpotMs };
  return new GatewayTelemetry(service, defaultSlo === undefined ? {} : { defaultSlo });
}

/** The gateway: an OpenAI-compatible server over the cluster (--nats URL) or the model in this process. */
async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(
      `pdserve gateway; settings (flag [env] (default)):\n${gatewayServiceConfig.help()}\n`,
    );
    return;
  }
  const cfg = gatewayServiceConfig.load({ argv });
  const telemetry = gatewayTelemetry(cfg);
  const logger = telemetry.service.logger;
  const open = cfg.nats.length > 0 ? await natsBackend(cfg, telemetry) : localBackend(cfg);
  const { rateLimitRps: rps, rateLimitBurst: burst } = cfg;
  const gateway = await startGateway({
    backend: open.backend,
    port: cfg.port,
    host: cfg.host,
    apiKeys: cfg.apiKey,
    ...(cfg.maxBodyBytes === undefined ? {} : { maxBodyBytes: cfg.maxBodyBytes }),
    ...(rps === undefined || burst === undefined ? {} : { rateLimit: { requestsPerSecond: rps, burst } }),
    telemetry,
    logError: (error, requestId) => logger.error({ requestId, err: error.cause ?? error }, 'request failed'),
  });
  const models = open.backend.models().map((m) => m.name);
  logger.info(
    { models: models.join(','), url: gateway.url, mode: cfg.nats.length > 0 ? 'nats' : 'local' },
    'gateway serving',
  );
  const stop = async () => {
    await gateway.close().catch(() => {});
    await open.close();
    await telemetry.service.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.write(`gateway: serving ${models.join(', ')} at ${gateway.url}\n`);
  announceReady('gateway', { url: gateway.url, models });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Named errors (bad settings, a model that does not load) say what is wrong; anything else shows its stack.
  const named = error instanceof Error && error.name !== 'Error';
  const text = named ? `${error.name}: ${error.message}` : String((error as Error)?.stack ?? error);
  process.stderr.write(`gateway: ${text}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
