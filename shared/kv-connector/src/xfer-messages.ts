import { defineMessage } from '@pdserve/protocol';
import { z } from 'zod';
import { type KvHandshakeMetadata, type KvPeerRef, kvWire, type RequestDecodeState } from './wire-types.js';

/**
 * Every agent -> agent step names the sender run (`from`) and the receiver run it talks to
 * (`toEpoch`, learnt in the handshake): a restarted receiver refuses it, and an inbound transfer
 * bound to one sender run refuses every other run.
 */
export interface KvXferHeader {
  transferId: string;
  from: KvPeerRef;
  toEpoch: number;
}

/** `handshake`: the sending instance's facts; the receiver compares them with the target instance's. */
export interface KvHandshake {
  from: KvPeerRef;
  source: KvHandshakeMetadata;
  targetInstanceId: string;
  targetEpoch: number;
}

export interface KvHandshakeReply {
  agentId: string;
  epoch: number;
  transports: string[];
  /** Largest data message the receiver takes (its connection's max payload). */
  maxMessageBytes: number;
  /** Present when the receiver takes data over UCX. */
  ucx?: KvUcxOffer;
}

/** How a sender reaches a receiving agent over UCX (from the handshake). */
export interface KvUcxOffer {
  /** The receiving agent's UCP worker address (every transport it has: shared memory, TCP, ...). */
  address: Uint8Array;
  /** /proc/sys/kernel/random/boot_id of its host: equal means one host (shared memory, pid watch). */
  bootId: string;
  pid: number;
}

/** `reserve`: binds the decode side's open transfer to this sender run. */
export interface KvReserve extends KvXferHeader {
  targetInstanceId: string;
  targetEpoch: number;
  numBlocks: number;
  blockBytes: number;
  /**
   * The sender's lease: it renews well within this, so the receiver ends the transfer after this
   * long without word from it (absent: the receiver's own lease).
   */
  leaseMs?: number;
}

/**
 * `chunk`: bytes of one or more blocks. `segments` holds (index, offset, length) triples in `data`
 * order: block `index` of the transfer, `length` bytes at `offset` within it. `crc` is crc32 of
 * `data`; a mismatch is answered `corrupt` and the sender sends the chunk again.
 */
export interface KvChunk extends KvXferHeader {
  seq: number;
  segments: number[];
  crc: number;
  data: Uint8Array;
}

export interface KvChunkAck {
  status: 'ok' | 'corrupt';
}

/** `commit`: every block's crc32 and the decode state; the receiver verifies all blocks first. */
export interface KvCommit extends KvXferHeader {
  blockCrcs: number[];
  decodeState: RequestDecodeState;
}

export interface KvCommitReply {
  status: 'committed' | 'bad_blocks';
  /** Indices whose bytes do not match their crc (send them again, then commit again). */
  badBlocks: number[];
}

/** `abort` (reason) and `release` (forget a committed transfer). */
export interface KvEnd extends KvXferHeader {
  reason: string;
}

/** `renew`: the sender run is alive and still works on these transfers. */
export interface KvRenew {
  from: KvPeerRef;
  toEpoch: number;
  transferIds: string[];
  /** The sender's lease, as in `reserve`. */
  leaseMs?: number;
}

export interface KvRenewReply {
  /** Transfers the receiver no longer holds (the sender aborts them). */
  unknown: string[];
}

const header = { transferId: kvWire.id(), from: kvWire.peer(), toEpoch: kvWire.count() };

export const kvHandshakeCodec = defineMessage<KvHandshake>(
  'KvHandshake',
  z.object({
    from: kvWire.peer(),
    source: kvWire.handshake(),
    targetInstanceId: kvWire.id(),
    targetEpoch: kvWire.count(),
  }),
);

export const kvHandshakeReplyCodec = defineMessage<KvHandshakeReply>(
  'KvHandshakeReply',
  z.object({
    agentId: kvWire.id(),
    epoch: kvWire.count(),
    transports: z.array(z.string()),
    maxMessageBytes: kvWire.positive(),
    ucx: z.object({ address: kvWire.bytes(), bootId: z.string(), pid: kvWire.positive() }).optional(),
  }),
);

export const kvReserveCodec = defineMessage<KvReserve>(
  'KvReserve',
  z.object({
    ...header,
    targetInstanceId: kvWire.id(),
    targetEpoch: kvWire.count(),
    numBlocks: kvWire.positive(),
    blockBytes: kvWire.positive(),
    leaseMs: kvWire.positive().optional(),
  }),
);

export const kvChunkCodec = defineMessage<KvChunk>(
  'KvChunk',
  z.object({
    ...header,
    seq: kvWire.count(),
    segments: z.array(kvWire.count()),
    crc: kvWire.u32(),
    data: kvWire.bytes(),
  }),
);

export const kvChunkAckCodec = defineMessage<KvChunkAck>(
  'KvChunkAck',
  z.object({ status: z.enum(['ok', 'corrupt']) }),
);

export const kvCommitCodec = defineMessage<KvCommit>(
  'KvCommit',
  z.object({ ...header, blockCrcs: z.array(kvWire.u32()), decodeState: kvWire.decodeState() }),
);

export const kvCommitReplyCodec = defineMessage<KvCommitReply>(
  'KvCommitReply',
  z.object({ status: z.enum(['committed', 'bad_blocks']), badBlocks: z.array(kvWire.count()) }),
);

export const kvEndCodec = defineMessage<KvEnd>('KvEnd', z.object({ ...header, reason: z.string() }));

export const kvRenewCodec = defineMessage<KvRenew>(
  'KvRenew',
  z.object({
    from: kvWire.peer(),
    toEpoch: kvWire.count(),
    transferIds: z.array(kvWire.id()),
    leaseMs: kvWire.positive().optional(),
  }),
);

export const kvRenewReplyCodec = defineMessage<KvRenewReply>(
  'KvRenewReply',
  z.object({ unknown: z.array(kvWire.id()) }),
);
