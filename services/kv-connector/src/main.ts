#!/usr/bin/env node
import { hostname } from 'node:os';
import {
  AgentRegistration,
  KvAgent,
  NatsChunkTransport,
  NatsKvBus,
  UcxKvTransport,
} from '@pdserve/kv-connector';
import { ConfigError, defineServiceConfig, NatsClient, natsConfigSchema } from '@pdserve/runtime';
import {
  KvTransferTelemetry,
  registerKvAgentGauges,
  ServiceTelemetry,
  SpanSummaryPublisher,
  startMetricsServer,
  telemetryConfigShape,
} from '@pdserve/telemetry';
import { z } from 'zod';

const config = defineServiceConfig(
  'kv-connector',
  z.object({
    nats: natsConfigSchema,
    agentId: z
      .string()
      .min(1)
      .default(`kv-agent-${hostname()}`)
      .describe('agent id engines on this host name'),
    host: z.string().min(1).default(hostname()).describe('host name announced to engines'),
    leaseMs: z.number().int().positive().default(10_000).describe('sender lease at receivers; sweep period'),
    chunkTimeoutMs: z.number().int().positive().default(5000).describe('wait for one chunk acknowledgement'),
    maxChunkAttempts: z.number().int().positive().default(5).describe('attempts per chunk'),
    maxChunkBytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('cap on chunk data (default: max payload)'),
    transport: z
      .enum(['ucx', 'nats'])
      .default('ucx')
      .describe(
        'data path: ucx (UCX_TLS from the environment; NATS where UCX cannot reach a peer) or nats only',
      ),
    ucxTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('bound of each UCX step before NATS takes over'),
    register: z.boolean().default(true).describe('keep a record in the pdserve-kv-agents bucket (JetStream)'),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('log level'),
    ...telemetryConfigShape,
  }),
);

/** The kv-connector agent process (one per host): serves its transfers until SIGTERM / SIGINT. */
async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`pdserve-kv-connector settings:\n${config.help()}\n`);
    return;
  }
  const c = config.load();
  const telemetry = ServiceTelemetry.create({
    service: 'kv-connector',
    instanceId: c.agentId,
    logLevel: c.logLevel,
    ...(c.otlpEndpoint === undefined ? {} : { otlpEndpoint: c.otlpEndpoint }),
  });
  const logger = telemetry.logger;
  const client = await NatsClient.connect({ ...c.nats, name: `kv-connector:${c.agentId}`, logger });
  telemetry.addSpanProcessor(new SpanSummaryPublisher(client));
  const bus = new NatsKvBus(client);
  const nats = new NatsChunkTransport(bus, {
    chunkTimeoutMs: c.chunkTimeoutMs,
    maxAttempts: c.maxChunkAttempts,
    maxChunkBytes: c.maxChunkBytes,
  });
  const transport =
    c.transport === 'ucx' ? new UcxKvTransport({ fallback: nats, opTimeoutMs: c.ucxTimeoutMs }) : nats;
  const observer = new KvTransferTelemetry(telemetry);
  const agent = await KvAgent.start({
    bus,
    agentId: c.agentId,
    host: c.host,
    transport,
    leaseMs: c.leaseMs,
    observer,
  });
  registerKvAgentGauges(telemetry.registry, () => agent.stats());
  const metrics =
    c.metricsPort === undefined
      ? null
      : await startMetricsServer(telemetry.registry, { port: c.metricsPort, host: c.metricsHost });
  const registration = c.register
    ? await AgentRegistration.start(client, () => ({ ...agent.info, stats: agent.stats() })).catch(
        (err: unknown) => {
          logger.warn({ agentId: c.agentId, err }, 'not registered in the agents bucket; serving anyway');
          return null;
        },
      )
    : null;
  const stop = async () => {
    await registration?.close();
    await agent.close();
    await metrics?.close();
    await telemetry.shutdown();
    await client.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  const ready = { ready: true, ...agent.info, maxPayload: bus.maxPayload };
  process.stdout.write(
    `${JSON.stringify(metrics === null ? ready : { ...ready, metricsUrl: metrics.url })}\n`,
  );
  logger.info({ agentId: c.agentId, metricsUrl: metrics?.url }, 'kv-connector agent serving');
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : String(err instanceof Error ? err.stack : err)}\n`,
  );
  process.exit(1);
});
