import { z } from 'zod';
import { type InstanceRole, instanceRoleSchema } from './instance-info.js';
import { type KvTransferParams, kvTransferParamsSchema } from './kv-transfer-params.js';
import { defineMessage } from './message-codec.js';
import { type SloHints, sloHintsSchema } from './slo-hints.js';
import { type TraceContext, traceContextSchema } from './trace-context.js';
import { type WireSamplingParams, wireSamplingParamsSchema } from './wire-sampling-params.js';
import { wire } from './wire-schemas.js';

/**
 * The gateway hands a request to one engine instance (request/reply on `subjects.submit`).
 * `task` says what this instance does for it: 'prefill' (run the prompt, send the KV, stream the
 * first token), 'decode' (reserve blocks, take the KV, generate) or 'both' (colocated). The reply
 * is a SubmitReply once the instance has accepted it, or a ServiceError.
 */
export interface SubmitRequest {
  requestId: string;
  model: string;
  promptTokenIds: number[];
  samplingParams: WireSamplingParams;
  task: InstanceRole;
  prefillInstanceId?: string;
  decodeInstanceId?: string;
  kvTransferParams?: KvTransferParams;
  slo?: SloHints;
  trace?: TraceContext;
  priority?: number;
  cacheSalt?: string;
  arrivalTimeMs: number;
  /** The seq of the first TokenBatch this instance publishes (> 0 when it continues a stream). */
  streamStartSeq?: number;
  /** Tokens already generated and delivered (a stream moved to this instance continues after them). */
  generatedTokenIds?: number[];
}

/** An instance accepted a SubmitRequest; decode instances return the reserved blocks here. */
export interface SubmitReply {
  requestId: string;
  instanceId: string;
  epoch: number;
  kvTransferParams?: KvTransferParams;
}

export const submitRequestCodec = defineMessage<SubmitRequest>(
  'SubmitRequest',
  z.object({
    requestId: wire.id(),
    model: wire.id(),
    promptTokenIds: wire.tokenIds(),
    samplingParams: wireSamplingParamsSchema,
    task: instanceRoleSchema,
    prefillInstanceId: wire.id().optional(),
    decodeInstanceId: wire.id().optional(),
    kvTransferParams: kvTransferParamsSchema.optional(),
    slo: sloHintsSchema.optional(),
    trace: traceContextSchema.optional(),
    priority: z.number().int().optional(),
    cacheSalt: z.string().optional(),
    arrivalTimeMs: wire.count(),
    streamStartSeq: wire.count().optional(),
    generatedTokenIds: wire.tokenIds().optional(),
  }),
);

export const submitReplyCodec = defineMessage<SubmitReply>(
  'SubmitReply',
  z.object({
    requestId: wire.id(),
    instanceId: wire.id(),
    epoch: wire.count(),
    kvTransferParams: kvTransferParamsSchema.optional(),
  }),
);
