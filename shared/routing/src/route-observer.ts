import type { RouteDecision, RouteRequest } from '@pdserve/protocol';

/**
 * Sees every route request a RouterService answers (telemetry: a span per decision, decision and
 * rejection counters). `route` must call `decide` once and return (or throw) what it gives;
 * `headers` are the request message's (the caller's trace context).
 */
export interface RouteObserver {
  route(
    request: RouteRequest,
    headers: Record<string, string>,
    decide: () => Promise<RouteDecision>,
  ): Promise<RouteDecision>;
}
