import type { InstanceInfo, InstanceRole, LoadReport } from '@pdserve/protocol';

/** A plausible InstanceInfo for tests. */
export function testInstance(id: string, role: InstanceRole, model = 'tiny', epoch = 1): InstanceInfo {
  return {
    id,
    role,
    model,
    modelFingerprint: 'fp-1',
    blockSize: 16,
    numBlocks: 256,
    maxModelLen: 1024,
    hashSeed: 'seed',
    kvLayout: {
      dtype: 'f32',
      numLayers: 2,
      numKvHeads: 2,
      headDim: 8,
      blockBytes: 4096,
      order: 'block-major',
    },
    kvConnector: { agentId: `agent-${id}`, transports: ['nats'] },
    epoch,
    startedAtMs: epoch,
  };
}

/** A LoadReport with `numRunning` requests running. */
export function testLoad(numRunning = 0): LoadReport {
  return {
    queueLength: 0,
    numRunning,
    numWaiting: 0,
    kvUsage: 0.1,
    numFreeBlocks: 200,
    prefillTokensPerS: 1000,
    decodeStepMs: [{ batchSize: 1, stepMs: 10 }],
    timestampMs: Date.now(),
  };
}
