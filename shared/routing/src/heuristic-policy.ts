import { type RouteDecision, type RouteRequest, ServiceError } from '@pdserve/protocol';
import { type ClusterSnapshot, cachedPrefixBlocks, type InstanceSnapshot } from './cluster-snapshot.js';
import { kvCompatible } from './kv-compatibility.js';
import { decodeStepMsAt, prefillMs } from './load-estimates.js';
import type { RouteOutcome, RoutingPolicy } from './routing-policy.js';

/** The heuristic policy's knobs. */
export interface HeuristicPolicyOptions {
  /** Uncached prompt tokens from which a (prefill, decode) pair is used when one exists (default 256). */
  longPromptTokens?: number;
  /** Uncached prompt tokens that weigh as much as one queued request when comparing instances (default 256). */
  tokensPerQueuedRequest?: number;
  /** What a full KV cache (usage 1) weighs, in queued requests (default 8). */
  kvUsageWeight?: number;
  /** An instance with this many waiting requests takes no more; all full: 'overloaded' (default 256). */
  maxQueueLength?: number;
  /** Retry-After of rejections, seconds (default 1). */
  retryAfterS?: number;
}

/** One candidate with the numbers the policy compares. */
interface Scored {
  instance: InstanceSnapshot;
  cachedTokens: number;
  uncachedTokens: number;
  cost: number;
}

const byCostThenId = (a: Scored, b: Scored) =>
  a.cost - b.cost ||
  (a.instance.info.id < b.instance.info.id ? -1 : a.instance.info.id > b.instance.info.id ? 1 : 0);

/**
 * The first routing policy: prompt length, prefix-cache hits and load, no latency model.
 * - Candidates: live instances of the model not excluded by the request whose context fits it.
 * - Load of an instance: waiting + running requests + kvUsageWeight x KV usage.
 * - Colocated cost on a decode/'both' instance: its load + its uncached prompt tokens /
 *   tokensPerQueuedRequest; the cheapest wins (ties by id).
 * - If that winner would still prefill at least longPromptTokens, and a prefill instance can hand
 *   KV to some decode instance (kvCompatible), the request goes to the pair: the prefill instance
 *   with the lowest cost (its own prefix hits count), the least loaded compatible decode instance.
 * - No decode/'both' instance: 'unavailable'; all of them full (maxQueueLength): 'overloaded'.
 */
export class HeuristicPolicy implements RoutingPolicy {
  readonly name = 'heuristic';
  readonly #longPromptTokens: number;
  readonly #tokensPerQueued: number;
  readonly #kvWeight: number;
  readonly #maxQueue: number;
  readonly #retryAfterS: number;

  constructor(options: HeuristicPolicyOptions = {}) {
    this.#longPromptTokens = options.longPromptTokens ?? 256;
    this.#tokensPerQueued = options.tokensPerQueuedRequest ?? 256;
    this.#kvWeight = options.kvUsageWeight ?? 8;
    this.#maxQueue = options.maxQueueLength ?? 256;
    this.#retryAfterS = options.retryAfterS ?? 1;
  }

  route(request: RouteRequest, snapshot: ClusterSnapshot): RouteOutcome {
    const excluded = new Set(request.excludeInstanceIds ?? []);
    const live = snapshot.instances.filter(
      (i) => !excluded.has(i.info.id) && i.info.maxModelLen > request.numPromptTokens,
    );
    const decoders = live.filter((i) => i.info.role !== 'prefill');
    if (decoders.length === 0)
      return this.#reject('unavailable', `no instance can serve ${snapshot.model} now`);
    const open = decoders.filter((i) => i.load.queueLength < this.#maxQueue);
    if (open.length === 0) return this.#reject('overloaded', `every instance of ${snapshot.model} is full`);
    const best = open.map((i) => this.#score(i, request)).sort(byCostThenId)[0];
    if (best.uncachedTokens >= this.#longPromptTokens) {
      const pair = this.#pair(request, live, open);
      if (pair !== null) return { ok: true, decision: pair };
    }
    return { ok: true, decision: this.#colocated(request, best) };
  }

  /** Waiting + running requests plus the KV usage term. */
  #load(i: InstanceSnapshot): number {
    return i.load.queueLength + i.load.numRunning + this.#kvWeight * i.load.kvUsage;
  }

  #score(instance: InstanceSnapshot, request: RouteRequest): Scored {
    const blocks = cachedPrefixBlocks(instance, request.blockHashes);
    // The engine always computes the prompt's last token, so a fully cached prompt still prefills one block.
    const cachedTokens = Math.min(blocks * instance.info.blockSize, Math.max(0, request.numPromptTokens - 1));
    const uncachedTokens = request.numPromptTokens - cachedTokens;
    return {
      instance,
      cachedTokens,
      uncachedTokens,
      cost: this.#load(instance) + uncachedTokens / this.#tokensPerQueued,
    };
  }

  #pair(request: RouteRequest, live: InstanceSnapshot[], decoders: InstanceSnapshot[]): RouteDecision | null {
    const prefills = live
      .filter((i) => i.info.role === 'prefill' && i.load.queueLength < this.#maxQueue)
      .map((i) => this.#score(i, request))
      .sort(byCostThenId);
    for (const p of prefills) {
      const d = decoders
        .filter((i) => kvCompatible(p.instance.info, i.info))
        .map((i) => ({ instance: i, cachedTokens: 0, uncachedTokens: 0, cost: this.#load(i) }))
        .sort(byCostThenId)[0];
      if (d === undefined) continue;
      return {
        requestId: request.requestId,
        mode: 'disaggregated',
        prefillInstanceId: p.instance.info.id,
        decodeInstanceId: d.instance.info.id,
        numCachedTokens: p.cachedTokens,
        predictedTtftMs: prefillMs(p.instance.load, p.uncachedTokens),
        predictedTpotMs: decodeStepMsAt(d.instance.load, d.instance.load.numRunning + 1),
      };
    }
    return null;
  }

  #colocated(request: RouteRequest, best: Scored): RouteDecision {
    const load = best.instance.load;
    return {
      requestId: request.requestId,
      mode: 'colocated',
      decodeInstanceId: best.instance.info.id,
      numCachedTokens: best.cachedTokens,
      predictedTtftMs: prefillMs(load, best.uncachedTokens),
      predictedTpotMs: decodeStepMsAt(load, load.numRunning + 1),
    };
  }

  #reject(code: 'unavailable' | 'overloaded', message: string): RouteOutcome {
    return { ok: false, error: new ServiceError(code, message, { retryAfterS: this.#retryAfterS }) };
  }
}
