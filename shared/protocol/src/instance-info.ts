import { z } from 'zod';
import { defineMessage } from './message-codec.js';
import { wire } from './wire-schemas.js';

/** What an engine instance does: prefill only, decode only, or both (colocated, chunked prefill). */
export type InstanceRole = 'prefill' | 'decode' | 'both';

/** How one instance lays out its KV pool; two instances exchange blocks only when these match. */
export interface KvLayout {
  /** Element type of K and V ('f32' | 'bf16' today). */
  dtype: string;
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  /** Bytes of one block (all layers, K and V): one transfer op, one checksum. */
  blockBytes: number;
  /** Dimension order of the pool, e.g. 'block-major' ([block][layer][k|v][16][kvHeads][headDim]). */
  order: string;
}

/** Where the instance's kv-connector agent takes transfers. */
export interface KvConnectorEndpoint {
  agentId: string;
  /** Transports the agent speaks, preferred first. */
  transports: ('ucx' | 'nats')[];
  /** The agent's packed UCX worker address, when it speaks UCX. */
  ucxAddress?: Uint8Array;
}

/**
 * What an engine instance is, published by its InstanceRegistry at start and read by routers,
 * gateways and kv-connector handshakes through the ClusterView. Never changes during the
 * instance's life; a restart gets a new `epoch`.
 */
export interface InstanceInfo {
  id: string;
  role: InstanceRole;
  /** The served model name requests use. */
  model: string;
  /** The model's weights and tokenizer fingerprint (two instances serve the same model only if equal). */
  modelFingerprint: string;
  blockSize: number;
  numBlocks: number;
  maxModelLen: number;
  /** Seed of the prefix-cache block hash; instances share cached blocks only when equal. */
  hashSeed: string;
  kvLayout: KvLayout;
  kvConnector: KvConnectorEndpoint;
  /** Distinguishes this run of the instance from a predecessor with the same id (e.g. start time). */
  epoch: number;
  startedAtMs: number;
  host?: string;
  pid?: number;
}

export const instanceRoleSchema = z.enum(['prefill', 'decode', 'both']);

export const instanceInfoSchema: z.ZodType<InstanceInfo> = z.object({
  id: wire.id(),
  role: instanceRoleSchema,
  model: wire.id(),
  modelFingerprint: z.string(),
  blockSize: wire.positive(),
  numBlocks: wire.count(),
  maxModelLen: wire.positive(),
  hashSeed: z.string(),
  kvLayout: z.object({
    dtype: wire.id(),
    numLayers: wire.positive(),
    numKvHeads: wire.positive(),
    headDim: wire.positive(),
    blockBytes: wire.positive(),
    order: wire.id(),
  }),
  kvConnector: z.object({
    agentId: wire.id(),
    transports: z.array(z.enum(['ucx', 'nats'])),
    ucxAddress: wire.bytes().optional(),
  }),
  epoch: wire.count(),
  startedAtMs: wire.count(),
  host: z.string().optional(),
  pid: wire.count().optional(),
});

export const instanceInfoCodec = defineMessage('InstanceInfo', instanceInfoSchema);
