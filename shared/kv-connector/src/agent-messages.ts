import { defineMessage } from '@pdserve/protocol';
import { z } from 'zod';
import {
  type KvHandshakeMetadata,
  type KvPoolLayoutWire,
  type KvTransferTarget,
  kvWire,
  type RequestDecodeState,
  type ServiceErrorWire,
} from './wire-types.js';

/** Engine -> agent `attach`: map my shm pool; I hold an attachment lease renewed by `renew`. */
export interface KvAttach {
  instanceId: string;
  instanceEpoch: number;
  poolName: string;
  layout: KvPoolLayoutWire;
  blockBytes: number;
  handshake: KvHandshakeMetadata;
  leaseMs: number;
}

/** Who the agent is (`attach` and `info` replies). */
export interface KvAgentInfo {
  agentId: string;
  epoch: number;
  host: string;
  transports: string[];
  /** What it holds now: attached pools, inbound and outbound transfers (for operators and leak checks). */
  stats?: { attachments: number; inbound: number; outbound: number };
}

/** Engine -> agent `detach` / `renew`, and the engine side of `info` (empty refs allowed). */
export interface KvInstanceRef {
  instanceId: string;
  instanceEpoch: number;
}

/** A plain acknowledgement; `known` false on `renew` means the agent lost the attachment (re-attach). */
export interface KvAck {
  known: boolean;
}

/** Engine (decode side) -> agent `open`: expect a transfer into these reserved blocks. */
export interface KvOpen extends KvInstanceRef {
  transferId: string;
  requestId: string;
  blockIds: number[];
  numTokens: number;
  /** The agent fails it (notice `failed`) if no sender reserved it within this long (plus a lease). */
  ttlMs?: number;
}

/**
 * Engine (prefill side) -> agent `stage` (blocks ready to send) and `finish` (the last blocks, the
 * total count and the decode state: commit when all are sent). The first of them opens the
 * outbound transfer, so each carries the target.
 */
export interface KvStage extends KvInstanceRef {
  transferId: string;
  requestId: string;
  target: KvTransferTarget;
  firstIndex: number;
  srcBlockIds: number[];
  /** Only on `finish`. */
  numBlocks?: number;
  decodeState?: RequestDecodeState;
}

/** Engine -> agent `cancel`: acknowledged once the agent touches the engine's blocks no more. */
export interface KvCancel extends KvInstanceRef {
  transferId: string;
  reason: string;
}

/** Agent -> engine notice: a transfer is over. `committed` carries the decode state (decode side). */
export interface KvTransferNotice {
  transferId: string;
  requestId: string;
  outcome: 'sent' | 'committed' | 'failed';
  decodeState?: RequestDecodeState;
  error?: ServiceErrorWire;
}

const ref = { instanceId: kvWire.id(), instanceEpoch: kvWire.count() };

export const kvAttachCodec = defineMessage<KvAttach>(
  'KvAttach',
  z.object({
    ...ref,
    poolName: kvWire.id(),
    layout: kvWire.layout(),
    blockBytes: kvWire.positive(),
    handshake: kvWire.handshake(),
    leaseMs: kvWire.positive(),
  }),
);

export const kvAgentInfoCodec = defineMessage<KvAgentInfo>(
  'KvAgentInfo',
  z.object({
    agentId: kvWire.id(),
    epoch: kvWire.count(),
    host: z.string(),
    transports: z.array(z.string()),
    stats: z
      .object({ attachments: kvWire.count(), inbound: kvWire.count(), outbound: kvWire.count() })
      .optional(),
  }),
);

export const kvInstanceRefCodec = defineMessage<KvInstanceRef>('KvInstanceRef', z.object(ref));

export const kvAckCodec = defineMessage<KvAck>('KvAck', z.object({ known: z.boolean() }));

export const kvOpenCodec = defineMessage<KvOpen>(
  'KvOpen',
  z.object({
    ...ref,
    transferId: kvWire.id(),
    requestId: kvWire.id(),
    blockIds: z.array(kvWire.count()),
    numTokens: kvWire.positive(),
    ttlMs: kvWire.positive().optional(),
  }),
);

export const kvStageCodec = defineMessage<KvStage>(
  'KvStage',
  z.object({
    ...ref,
    transferId: kvWire.id(),
    requestId: kvWire.id(),
    target: kvWire.target(),
    firstIndex: kvWire.count(),
    srcBlockIds: z.array(kvWire.count()),
    numBlocks: kvWire.positive().optional(),
    decodeState: kvWire.decodeState().optional(),
  }),
);

export const kvCancelCodec = defineMessage<KvCancel>(
  'KvCancel',
  z.object({ ...ref, transferId: kvWire.id(), reason: z.string() }),
);

export const kvTransferNoticeCodec = defineMessage<KvTransferNotice>(
  'KvTransferNotice',
  z.object({
    transferId: kvWire.id(),
    requestId: kvWire.id(),
    outcome: z.enum(['sent', 'committed', 'failed']),
    decodeState: kvWire.decodeState().optional(),
    error: kvWire.serviceError().optional(),
  }),
);
