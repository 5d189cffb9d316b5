import { z } from 'zod';
import { wire } from './wire-schemas.js';

/**
 * What one side of a disaggregated request tells the other about the KV blocks to move (vLLM's
 * kv_transfer_params, camelCase). The decode instance's SubmitReply returns the blocks it reserved
 * (`remoteBlockIds`, under `transferId`'s lease); the gateway passes them in the prefill
 * instance's SubmitRequest with `doRemoteDecode`.
 */
export interface KvTransferParams {
  /** This instance receives the prompt's KV from `remoteInstanceId` (decode side). */
  doRemotePrefill?: boolean;
  /** This instance sends the prompt's KV to `remoteInstanceId` (prefill side). */
  doRemoteDecode?: boolean;
  remoteInstanceId?: string;
  remoteAgentId?: string;
  /** The peer's epoch; a transfer to a restarted peer (new epoch) is refused. */
  remoteEpoch?: number;
  /** The peer's block ids for the prompt's blocks, in order. */
  remoteBlockIds?: number[];
  /** Identifies the transfer transaction (reserve -> send -> commit -> release). */
  transferId?: string;
  /** Prompt tokens whose KV the transfer covers. */
  numTokens?: number;
}

export const kvTransferParamsSchema: z.ZodType<KvTransferParams> = z.object({
  doRemotePrefill: z.boolean().optional(),
  doRemoteDecode: z.boolean().optional(),
  remoteInstanceId: wire.id().optional(),
  remoteAgentId: wire.id().optional(),
  remoteEpoch: wire.count().optional(),
  remoteBlockIds: z.array(wire.count()).optional(),
  transferId: wire.id().optional(),
  numTokens: wire.count().optional(),
});
