export { type ClusterSnapshot, cachedPrefixBlocks, type InstanceSnapshot } from './cluster-snapshot.js';
export { HeuristicPolicy, type HeuristicPolicyOptions } from './heuristic-policy.js';
export { kvCompatible } from './kv-compatibility.js';
export { decodeStepMsAt, prefillMs } from './load-estimates.js';
export { PrefixIndex, type PrefixIndexApply } from './prefix-index.js';
export { RouterClusterState, type RouterClusterStateOptions } from './router-cluster-state.js';
export { ROUTER_QUEUE_GROUP, RouterService, type RouterServiceOptions } from './router-service.js';
export {
  type RouterServiceConfig,
  routerServiceConfig,
  routerServiceSchema,
} from './router-service-config.js';
export type { RouteOutcome, RoutingPolicy } from './routing-policy.js';
