#!/usr/bin/env node
import { hostname } from 'node:os';
import { AgentRegistration, KvAgent, NatsChunkTransport, NatsKvBus } from '@pdserve/kv-connector';
import { ConfigError, defineServiceConfig, NatsClient, natsConfigSchema } from '@pdserve/runtime';
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
    register: z.boolean().default(true).describe('keep a record in the pdserve-kv-agents bucket (JetStream)'),
  }),
);

/** The kv-connector agent process (one per host): serves its transfers until SIGTERM / SIGINT. */
async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`pdserve-kv-connector settings:\n${config.help()}\n`);
    return;
  }
  const c = config.load();
  const client = await NatsClient.connect({ ...c.nats, name: `kv-connector:${c.agentId}` });
  const bus = new NatsKvBus(client);
  const transport = new NatsChunkTransport(bus, {
    chunkTimeoutMs: c.chunkTimeoutMs,
    maxAttempts: c.maxChunkAttempts,
    maxChunkBytes: c.maxChunkBytes,
  });
  const agent = await KvAgent.start({ bus, agentId: c.agentId, host: c.host, transport, leaseMs: c.leaseMs });
  const registration = c.register
    ? await AgentRegistration.start(client, () => ({ ...agent.info, stats: agent.stats() })).catch(
        (err: unknown) => {
          process.stderr.write(
            `kv-connector ${c.agentId}: not registered (${String(err)}); serving anyway\n`,
          );
          return null;
        },
      )
    : null;
  const stop = async () => {
    await registration?.close();
    await agent.close();
    await client.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.stdout.write(`${JSON.stringify({ ready: true, ...agent.info, maxPayload: bus.maxPayload })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : String(err instanceof Error ? err.stack : err)}\n`,
  );
  process.exit(1);
});
