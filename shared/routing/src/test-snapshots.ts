import type { InstanceInfo, InstanceRole, LoadReport } from '@pdserve/protocol';
import type { ClusterSnapshot, InstanceSnapshot } from './cluster-snapshot.js';

/** Test support: an instance of model 'm' with a quiet load, overridable piece by piece. */
export function instance(
  id: string,
  role: InstanceRole,
  over: {
    load?: Partial<LoadReport>;
    info?: Partial<InstanceInfo>;
    cached?: string[];
    transports?: ('ucx' | 'nats')[];
  } = {},
): InstanceSnapshot {
  const info: InstanceInfo = {
    id,
    role,
    model: 'm',
    modelFingerprint: 'fp',
    blockSize: 16,
    numBlocks: 100,
    maxModelLen: 4096,
    hashSeed: 'fp',
    kvLayout: {
      dtype: 'f32',
      numLayers: 2,
      numKvHeads: 2,
      headDim: 8,
      blockBytes: 4096,
      order: 'block-major',
    },
    kvConnector: { agentId: `agent-${id}`, transports: over.transports ?? ['nats'] },
    epoch: 1,
    startedAtMs: 0,
    ...over.info,
  };
  const load: LoadReport = {
    queueLength: 0,
    numRunning: 0,
    numWaiting: 0,
    kvUsage: 0,
    numFreeBlocks: 100,
    prefillTokensPerS: 0,
    decodeStepMs: [],
    timestampMs: 0,
    ...over.load,
  };
  return { info, load, cachedBlocks: new Set(over.cached ?? []) };
}

/** Test support: a snapshot of model 'm'. */
export function snapshot(...instances: InstanceSnapshot[]): ClusterSnapshot {
  return { model: 'm', nowMs: 0, instances };
}

/** Test support: hashes h0..h(n-1), standing for a prompt's n full blocks. */
export function hashes(n: number, prefix = 'h'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}
