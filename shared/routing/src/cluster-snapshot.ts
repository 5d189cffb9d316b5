import type { InstanceInfo, LoadReport } from '@pdserve/protocol';

/**
 * Work this router placed on an instance that its latest heartbeat cannot show yet (decided after
 * the report was made): the router adds it to the reported load so a burst between two heartbeats
 * is not all sent to the instance that looked idle.
 */
export interface PendingLoad {
  /** Requests that will join this instance's decode batch. */
  decodeRequests: number;
  /** Uncached prompt tokens this instance will prefill for them. */
  promptTokens: number;
  /** KV blocks they will take here. */
  blocks: number;
  /** The tightest TPOT target (ms) among those that decode here and came with one (absent: none). */
  minTpotMs?: number;
  /** Those that decode here without a TPOT target (the router's default applies). */
  numWithoutTpotSlo: number;
}

/** One live instance as a routing policy sees it. */
export interface InstanceSnapshot {
  info: InstanceInfo;
  /** Its latest heartbeat's load. */
  load: LoadReport;
  /** Block hashes its prefix cache holds, as its KV events told (may miss some after a resync). */
  cachedBlocks: ReadonlySet<string>;
  /** Placements of this router not yet visible in `load` (absent: none). */
  pending?: PendingLoad;
}

/**
 * What a routing policy decides from: the live instances of one model at one moment. Built by
 * RouterClusterState per request (or by tests by hand); policies never mutate it.
 */
export interface ClusterSnapshot {
  model: string;
  nowMs: number;
  instances: readonly InstanceSnapshot[];
}

/** An instance's pending load, zero when it has none. */
export function pendingOf(instance: InstanceSnapshot): PendingLoad {
  return instance.pending ?? { decodeRequests: 0, promptTokens: 0, blocks: 0, numWithoutTpotSlo: 0 };
}

/** How many leading blocks of `blockHashes` an instance has cached (the chain stops at the first miss). */
export function cachedPrefixBlocks(instance: InstanceSnapshot, blockHashes: readonly string[]): number {
  let n = 0;
  while (n < blockHashes.length && instance.cachedBlocks.has(blockHashes[n])) n++;
  return n;
}
