import type { InstanceInfo, LoadReport } from '@pdserve/protocol';

/** One live instance as a routing policy sees it. */
export interface InstanceSnapshot {
  info: InstanceInfo;
  /** Its latest heartbeat's load. */
  load: LoadReport;
  /** Block hashes its prefix cache holds, as its KV events told (may miss some after a resync). */
  cachedBlocks: ReadonlySet<string>;
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

/** How many leading blocks of `blockHashes` an instance has cached (the chain stops at the first miss). */
export function cachedPrefixBlocks(instance: InstanceSnapshot, blockHashes: readonly string[]): number {
  let n = 0;
  while (n < blockHashes.length && instance.cachedBlocks.has(blockHashes[n])) n++;
  return n;
}
