import { HeuristicPolicy } from './heuristic-policy.js';
import { RoundRobinPolicy } from './round-robin-policy.js';
import type { RouterServiceConfig } from './router-service-config.js';
import type { RoutingPolicy } from './routing-policy.js';
import { SloPolicy } from './slo-policy.js';

/** The policy `config.policy` names, with its settings (the router's main calls it once). */
export function createRoutingPolicy(
  config: Pick<RouterServiceConfig, 'policy' | 'retryAfterS' | 'heuristic' | 'slo'>,
): RoutingPolicy {
  const retryAfterS = config.retryAfterS;
  switch (config.policy) {
    case 'heuristic':
      return new HeuristicPolicy({ ...config.heuristic, retryAfterS });
    case 'round-robin':
      return new RoundRobinPolicy({ retryAfterS });
    case 'slo': {
      const {
        defaultTtftMs,
        defaultTpotMs,
        ttftPlanFraction,
        tpotPlanFraction,
        maxQueueMs,
        queueFraction,
        ...costModel
      } = config.slo;
      return new SloPolicy({
        defaultTtftMs,
        defaultTpotMs,
        ttftPlanFraction,
        tpotPlanFraction,
        maxQueueMs,
        queueFraction,
        retryAfterS,
        costModel,
      });
    }
  }
}
