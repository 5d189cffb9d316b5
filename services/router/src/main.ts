#!/usr/bin/env node
import { createRoutingPolicy, RouterService, routerServiceConfig } from '@pdserve/routing';
import { ConfigError, NatsClient } from '@pdserve/runtime';
import { announceReady, serviceLogger } from '@pdserve/serving';

/** The router service: answers route requests for every model with live instances (settings: --help). */
async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(
      `pdserve router service; settings (flag [env] (default)):\n${routerServiceConfig.help()}\n`,
    );
    return;
  }
  const cfg = routerServiceConfig.load({ argv });
  const logger = serviceLogger(cfg.logLevel);
  const client = await NatsClient.connect({
    ...cfg.natsClient,
    servers: cfg.nats,
    name: `pdserve-router:${process.pid}`,
    logger,
  });
  const router = new RouterService({
    client,
    policy: createRoutingPolicy(cfg),
    deadAfterMs: cfg.discovery.deadAfterMs,
    ttlMs: cfg.discovery.ttlMs,
    maxQueueMs: cfg.slo.maxQueueMs,
    pendingGraceMs: cfg.slo.pendingGraceMs,
    logger,
  });
  await router.start();
  const stop = async (signal: string) => {
    logger.info({ signal, ...router.stats.snapshot() }, 'stopping');
    await router.stop();
    await client.close().catch(() => {});
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  announceReady('router', { policy: router.policy.name });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`pdserve router: ${why}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
