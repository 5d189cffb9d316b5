import path from 'node:path';
import { loadModel } from '@pdserve/model';
import type { InstanceRole } from '@pdserve/protocol';
import { ConfigError, NatsClient } from '@pdserve/runtime';
import { EngineService } from './engine-service.js';
import { type EngineServiceConfig, engineServiceConfig } from './engine-service-config.js';
import { announceReady } from './ready-line.js';
import { serviceLogger } from './service-logger.js';

function defaultModelName(modelPath: string): string {
  return path.parse(path.resolve(modelPath)).name;
}

async function startService(role: InstanceRole, cfg: EngineServiceConfig): Promise<EngineService> {
  const logger = serviceLogger(cfg.logLevel);
  const model = loadModel(cfg.model, cfg.tokenizer === undefined ? {} : { tokenizerPath: cfg.tokenizer });
  const servedModelName = cfg.servedModelName ?? defaultModelName(cfg.model);
  const client = await NatsClient.connect({
    ...cfg.natsClient,
    servers: cfg.nats,
    name: `pdserve-${role}:${cfg.instanceId ?? process.pid}`,
    logger,
  });
  const service = new EngineService({
    client,
    model,
    servedModelName,
    role,
    ...(cfg.instanceId === undefined ? {} : { instanceId: cfg.instanceId }),
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
    await client.close().catch(() => {});
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return service;
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
    const service = await startService(cfg.role ?? role, cfg);
    const info = service.info;
    announceReady(info.role, { instanceId: info.id, model: info.model, numBlocks: info.numBlocks });
  } catch (error) {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`pdserve ${role}: ${why}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}
