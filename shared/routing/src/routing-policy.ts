import type { RouteDecision, RouteRequest, ServiceError } from '@pdserve/protocol';
import type { ClusterSnapshot } from './cluster-snapshot.js';

/** A policy's answer: where to run the request, or why it cannot run now. */
export type RouteOutcome = { ok: true; decision: RouteDecision } | { ok: false; error: ServiceError };

/**
 * Where a request runs, decided from a cluster snapshot. A pure function of its inputs (no I/O, no
 * clock, no state between calls), so several routers decide alike and tests build snapshots by
 * hand. RouterService calls it once per RouteRequest. Rejections are ServiceErrors: 'unavailable'
 * when no instance can serve the model, 'overloaded' (with retryAfterS) when none should take
 * more now.
 */
export interface RoutingPolicy {
  /** The policy's name, for logs and config. */
  readonly name: string;
  route(request: RouteRequest, snapshot: ClusterSnapshot): RouteOutcome;
}
