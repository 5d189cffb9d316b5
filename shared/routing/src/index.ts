export { AdmissionQueue, type AdmissionQueueEvents } from './admission-queue.js';
export {
  type ClusterSnapshot,
  cachedPrefixBlocks,
  type InstanceSnapshot,
  type PendingLoad,
  pendingOf,
} from './cluster-snapshot.js';
export { CostModel, type OptionPrediction, type PlacementMode } from './cost-model.js';
export { type CostModelParams, DEFAULT_COST_MODEL_PARAMS } from './cost-model-params.js';
export { createRoutingPolicy } from './create-routing-policy.js';
export { type DecodeStepFit, type DecodeStepPrior, fitDecodeSteps, stepMsAt } from './decode-step-fit.js';
export { HeuristicPolicy, type HeuristicPolicyOptions } from './heuristic-policy.js';
export { type InstanceInputs, learnInputs } from './instance-inputs.js';
export { kvCompatible } from './kv-compatibility.js';
export { decodeStepMsAt, prefillMs } from './load-estimates.js';
export { judgeOption, type OptionMiss, type OptionVerdict, type SloTargets } from './option-verdict.js';
export { PlacementLedger } from './placement-ledger.js';
export { PrefixIndex, type PrefixIndexApply } from './prefix-index.js';
export { RoundRobinPolicy, type RoundRobinPolicyOptions } from './round-robin-policy.js';
export type { RouteObserver } from './route-observer.js';
export {
  type PendingSource,
  RouterClusterState,
  type RouterClusterStateOptions,
} from './router-cluster-state.js';
export { ROUTER_QUEUE_GROUP, RouterService, type RouterServiceOptions } from './router-service.js';
export {
  ROUTING_POLICIES,
  type RouterServiceConfig,
  routerServiceConfig,
  routerServiceSchema,
} from './router-service-config.js';
export { RouterStats, type RouterStatsSnapshot } from './router-stats.js';
export type { RouteOutcome, RoutingPolicy } from './routing-policy.js';
export { SloPolicy, type SloPolicyOptions } from './slo-policy.js';
