import type { RouteDecision, RouteRequest, ServiceError } from '@pdserve/protocol';
import type { ClusterSnapshot } from './cluster-snapshot.js';

/**
 * A policy's answer: where to run the request, or why it cannot run now. `queueable` on a
 * rejection says the request could still meet its targets if capacity frees soon (its TTFT
 * holds; the decode batch or the KV cache is what is full): RouterService may hold it and ask the
 * policy again as heartbeats arrive, within its queue bound, instead of answering at once.
 */
export type RouteOutcome =
  | { ok: true; decision: RouteDecision }
  | { ok: false; error: ServiceError; queueable?: boolean };

/**
 * Where a request runs, decided from a cluster snapshot. A pure function of its inputs (no I/O, no
 * clock, no state between calls; round-robin's counter is the one exception), so several routers
 * decide alike and tests build snapshots by hand. `request.arrivalTimeMs` and `snapshot.nowMs`
 * are the router's clock: their difference is the time the request already waited there. RouterService calls it once per RouteRequest. Rejections are ServiceErrors: 'unavailable'
 * when no instance can serve the model, 'overloaded' (with retryAfterS) when none should take
 * more now.
 */
export interface RoutingPolicy {
  /** The policy's name, for logs and config. */
  readonly name: string;
  route(request: RouteRequest, snapshot: ClusterSnapshot): RouteOutcome;
}
