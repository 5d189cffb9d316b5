import { runKvConnectorConformance } from './kv-connector-conformance.js';
import { natsFabric } from './nats-fabric.js';

runKvConnectorConformance('nats', () => natsFabric());
