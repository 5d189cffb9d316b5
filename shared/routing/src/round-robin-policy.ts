import { type RouteRequest, ServiceError } from '@pdserve/protocol';
import { type ClusterSnapshot, cachedPrefixBlocks } from './cluster-snapshot.js';
import type { RouteOutcome, RoutingPolicy } from './routing-policy.js';

/** The round-robin policy's settings. */
export interface RoundRobinPolicyOptions {
  /** Retry-After of 'unavailable' (s; default 1). */
  retryAfterS?: number;
}

/**
 * The baseline: each request runs colocated on the next decode or 'both' instance in id order,
 * whatever its load, prompt or prefix hits; it never rejects for load (no admission control) and
 * never uses prefill instances. Its one piece of state, the turn counter, is why it is not a pure
 * function of the snapshot like the other policies. The goodput experiment's colocated baseline.
 */
export class RoundRobinPolicy implements RoutingPolicy {
  readonly name = 'round-robin';
  readonly #retryAfterS: number;
  #turn = 0;

  constructor(options: RoundRobinPolicyOptions = {}) {
    this.#retryAfterS = options.retryAfterS ?? 1;
  }

  route(request: RouteRequest, snapshot: ClusterSnapshot): RouteOutcome {
    const excluded = new Set(request.excludeInstanceIds ?? []);
    const ring = snapshot.instances
      .filter((i) => i.info.role !== 'prefill' && !excluded.has(i.info.id))
      .filter((i) => i.info.maxModelLen > request.numPromptTokens)
      .sort((a, b) => (a.info.id < b.info.id ? -1 : a.info.id > b.info.id ? 1 : 0));
    if (ring.length === 0) {
      const error = new ServiceError('unavailable', `no instance can serve ${snapshot.model} now`, {
        retryAfterS: this.#retryAfterS,
      });
      return { ok: false, error };
    }
    const chosen = ring[this.#turn++ % ring.length];
    const cachedBlocks = cachedPrefixBlocks(chosen, request.blockHashes);
    const cached = Math.min(cachedBlocks * chosen.info.blockSize, Math.max(0, request.numPromptTokens - 1));
    return {
      ok: true,
      decision: {
        requestId: request.requestId,
        mode: 'colocated',
        decodeInstanceId: chosen.info.id,
        numCachedTokens: cached,
        predictedTtftMs: 0,
        predictedTpotMs: 0,
      },
    };
  }
}
