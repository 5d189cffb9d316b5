import { hostname } from 'node:os';
import type { ModelEngine } from '@pdserve/engine';
import type { InstanceInfo, InstanceRole, KvConnectorEndpoint } from '@pdserve/protocol';

/** Who the instance is, beyond what its engine says. */
export interface InstanceIdentity {
  id: string;
  role: InstanceRole;
  /** The served model name. */
  model: string;
  epoch: number;
  kvConnector: KvConnectorEndpoint;
}

/**
 * The InstanceInfo an engine instance registers: its identity plus what its engine is (model
 * fingerprint and hash seed, block size, pool size and layout, context limit). Built once at start.
 */
export function instanceInfoOf(engine: ModelEngine, identity: InstanceIdentity): InstanceInfo {
  const runner = engine.runner;
  const c = runner.config;
  return {
    id: identity.id,
    role: identity.role,
    model: identity.model,
    modelFingerprint: engine.hashSeed,
    blockSize: runner.blockSize,
    numBlocks: runner.numBlocks,
    maxModelLen: runner.maxModelLen,
    hashSeed: engine.hashSeed,
    kvLayout: {
      dtype: runner.kvPool.layout.dtype,
      numLayers: c.nLayers,
      numKvHeads: c.nKvHeads,
      headDim: c.headDim,
      blockBytes: runner.kvPool.blockBytes,
      order: 'block-major',
    },
    kvConnector: identity.kvConnector,
    epoch: identity.epoch,
    startedAtMs: Date.now(),
    host: hostname(),
    pid: process.pid,
  };
}
