import { NatsClient, silentLogger } from '@pdserve/runtime';
import { startNatsServer } from '@pdserve/testing';
import { NatsChunkTransport } from './nats-chunk-transport.js';
import { NatsKvBus } from './nats-kv-bus.js';
import type { KillableBus, KvTestFabric } from './test-cluster.js';

/**
 * TEST SUPPORT: the `nats` connector's fabric: a real nats-server (max payload `maxPayloadBytes`, or the one at `url`),
 * one connection per process, and NatsChunkTransport with chunks capped at `maxChunkBytes` (so a
 * block is split across chunks) and a short chunk timeout.
 */
export async function natsFabric(
  options: { maxPayloadBytes?: number; maxChunkBytes?: number; url?: string } = {},
): Promise<KvTestFabric> {
  // A given server (url) is the caller's to stop.
  const server =
    options.url === undefined
      ? await startNatsServer({ maxPayloadBytes: options.maxPayloadBytes ?? 8 * 1024 * 1024 })
      : { url: options.url, stop: async () => {} };
  const clients: NatsClient[] = [];
  return {
    name: 'nats',
    bus: async (name): Promise<KillableBus> => {
      const client = await NatsClient.connect({
        servers: server.url,
        name,
        logger: silentLogger,
        requestTimeoutMs: 2000,
      });
      clients.push(client);
      const bus = new NatsKvBus(client);
      // Abrupt: no drain, so in-flight replies are lost as when a process dies.
      return Object.assign(bus, { kill: () => void client.nc.close() });
    },
    transport: (bus, faults) =>
      new NatsChunkTransport(bus, {
        testFaults: faults,
        chunkTimeoutMs: 300,
        maxAttempts: 4,
        maxChunkBytes: options.maxChunkBytes ?? 3000,
      }),
    close: async () => {
      for (const c of clients) await c.close().catch(() => {});
      await server.stop();
    },
  };
}
