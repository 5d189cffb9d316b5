/**
 * TEST SUPPORT (`@pdserve/kv-connector/testing`): the conformance suite every connector
 * implementation runs, the fabrics of the in-memory and nats connectors, and test engines over a
 * pool-backed fake model. Never used outside tests.
 */
export {
  CONFORMANCE_MODEL,
  colocated,
  type Disaggregated,
  disaggregate,
  prompt,
  watchBlockBytes,
} from './conformance-helpers.js';
export { inMemoryFabric } from './in-memory-fabric.js';
export { conformanceContext, runKvConnectorConformance } from './kv-connector-conformance.js';
export { natsFabric } from './nats-fabric.js';
export { PoolFakeExecutor, type PoolFakeExecutorOptions } from './pool-fake-executor.js';
export { type KillableBus, type KvTestFabric, TestCluster, type TestClusterTimings } from './test-cluster.js';
export { TestEngine, type TestResult } from './test-engine.js';
export { ucxFabric } from './ucx-fabric.js';
