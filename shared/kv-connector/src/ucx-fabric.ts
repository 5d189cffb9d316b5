import { NatsChunkTransport } from './nats-chunk-transport.js';
import { natsFabric } from './nats-fabric.js';
import type { KvTestFabric } from './test-cluster.js';
import { UcxKvTransport } from './ucx-transport.js';

/**
 * TEST SUPPORT: the `ucx` connector's fabric: the nats fabric's server and connections for
 * control, and UcxKvTransport for data (UCX_TLS `tls`: shared memory or TCP), with NATS chunks as
 * its fallback. Faults are injected into the UCX path; UCX steps are bounded by 1 s.
 */
export async function ucxFabric(options: {
  tls: string;
  url?: string;
  /** UCX_TLS of one agent (by id) when it differs from `tls` ('' disables its UCX). */
  tlsOf?: Record<string, string>;
}): Promise<KvTestFabric & { transports: Map<string, UcxKvTransport> }> {
  const nats = await natsFabric(options.url === undefined ? {} : { url: options.url });
  const transports = new Map<string, UcxKvTransport>();
  const busNames = new WeakMap<object, string>();
  return {
    name: `ucx (${options.tls})`,
    transports,
    bus: async (name) => {
      const bus = await nats.bus(name);
      busNames.set(bus, name);
      return bus;
    },
    transport: (bus, faults) => {
      const name = busNames.get(bus) ?? '';
      const tls = options.tlsOf?.[name] ?? options.tls;
      const t = new UcxKvTransport({
        fallback: new NatsChunkTransport(bus, { chunkTimeoutMs: 300, maxAttempts: 4 }),
        ucxConfig: tls === '' ? { TLS: 'no-such-transport' } : { TLS: tls },
        opTimeoutMs: 1000,
        testFaults: faults,
      });
      transports.set(name, t);
      return t;
    },
    close: async () => {
      for (const t of transports.values()) t.close();
      await Promise.all([...transports.values()].map((t) => t.closed));
      await nats.close();
    },
  };
}
