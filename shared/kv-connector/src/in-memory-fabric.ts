import { DirectCopyRegistry, DirectCopyTransport } from './direct-copy-transport.js';
import { InMemoryKvNetwork } from './in-memory-bus.js';
import type { KillableBus, KvTestFabric } from './test-cluster.js';

/**
 * TEST SUPPORT: the `in-memory` connector's fabric: every process of the test shares one
 * InMemoryKvNetwork (control) and one DirectCopyRegistry (data: blocks copied pool to pool).
 */
export function inMemoryFabric(maxPayload = 64 * 1024): KvTestFabric {
  const network = new InMemoryKvNetwork(maxPayload);
  const registry = new DirectCopyRegistry();
  return {
    name: 'in-memory',
    bus: async (): Promise<KillableBus> => {
      const bus = network.bus();
      return Object.assign(bus, { kill: () => bus.close() });
    },
    transport: (_bus, faults) => new DirectCopyTransport(registry, faults),
    close: async () => {},
  };
}
