import type { KvHandshakeMetadata, RequestDecodeState } from '@pdserve/engine';
import type { ServiceErrorWire } from '@pdserve/protocol';
import { z } from 'zod';

/** One kv-connector agent run: a restarted agent has a new epoch and is never taken for its predecessor. */
export interface KvPeerRef {
  agentId: string;
  epoch: number;
}

/** How an engine's shm KV pool is laid out (the native KvPoolLayout). */
export interface KvPoolLayoutWire {
  numBlocks: number;
  blockSize: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  dtype: 'f32' | 'bf16';
}

/** The blocks at the decode side a transfer writes: which agent, instance (and its epoch), block ids. */
export interface KvTransferTarget {
  agentId: string;
  instanceId: string;
  instanceEpoch: number;
  blockIds: number[];
  numTokens: number;
}

export type { KvHandshakeMetadata, RequestDecodeState, ServiceErrorWire };

const count = () => z.number().int().nonnegative();
const positive = () => z.number().int().positive();
const id = () => z.string().min(1);
const u32 = () => z.number().int().min(0).max(0xffffffff);

/** Schemas shared by the message files of this package. */
export const kvWire = {
  count,
  positive,
  id,
  u32,
  bytes: () => z.instanceof(Uint8Array),
  peer: (): z.ZodType<KvPeerRef> => z.object({ agentId: id(), epoch: count() }),
  decodeState: (): z.ZodType<RequestDecodeState> =>
    z.object({
      outputTokenIds: z.array(count()),
      rngState: z.tuple([u32(), u32(), u32(), u32()]),
    }),
  handshake: (): z.ZodType<KvHandshakeMetadata> =>
    z.object({
      instanceId: id(),
      epoch: count(),
      agentId: id(),
      modelFingerprint: z.string(),
      hashSeed: z.string(),
      blockSize: positive(),
      kvLayout: z.object({
        dtype: id(),
        numLayers: positive(),
        numKvHeads: positive(),
        headDim: positive(),
        blockBytes: positive(),
        order: id(),
      }),
    }),
  layout: (): z.ZodType<KvPoolLayoutWire> =>
    z.object({
      numBlocks: positive(),
      blockSize: positive(),
      layers: positive(),
      kvHeads: positive(),
      headDim: positive(),
      dtype: z.enum(['f32', 'bf16']),
    }),
  target: (): z.ZodType<KvTransferTarget> =>
    z.object({
      agentId: id(),
      instanceId: id(),
      instanceEpoch: count(),
      blockIds: z.array(count()),
      numTokens: positive(),
    }),
  serviceError: (): z.ZodType<ServiceErrorWire> =>
    z.object({
      code: z.enum([
        'invalid_request',
        'context_length_exceeded',
        'model_not_found',
        'not_found',
        'unauthorized',
        'payload_too_large',
        'rate_limited',
        'overloaded',
        'unavailable',
        'timeout',
        'aborted',
        'internal',
      ]),
      message: z.string(),
      param: z.string().optional(),
      retryAfterS: z.number().nonnegative().optional(),
    }),
} as const;
