import { inMemoryFabric } from './in-memory-fabric.js';
import { runKvConnectorConformance } from './kv-connector-conformance.js';

runKvConnectorConformance('in-memory', async () => inMemoryFabric());
