import type { KvPool } from '@pdserve/native';
import type { PoolAttachment } from './pool-attachments.js';
import type { KvPeerRef } from './wire-types.js';
import type { KvHandshakeReply, KvUcxOffer } from './xfer-messages.js';

/** Names of the data paths an agent can speak, preferred first in its announcements. */
export type KvTransportKind = 'ucx' | 'nats' | 'in-memory';

/**
 * The receiving agent's side of the data path: where block `index` of an inbound transfer lives.
 * Implemented by the agent's InboundTransfers; a transport writes into the returned view (the
 * decode pool's memory), like an RMA put with the pool's rkey. Throws ServiceError when `from` has
 * not reserved `transferId` (unknown, aborted, committed or another sender run).
 */
export interface KvBlockSink {
  targetBlock(transferId: string, from: KvPeerRef, index: number): Uint8Array;
  /**
   * Optional note from a transport that writes without the sink (UCX): blocks firstIndex ..
   * firstIndex + count - 1 (consecutive in the pool) landed, so their checksums can be taken now.
   */
  landed?(transferId: string, from: KvPeerRef, firstIndex: number, count: number): void;
  /** Optional: the pool a transfer reserved by `from` writes into (a transport registers it); throws like targetBlock. */
  targetPool?(transferId: string, from: KvPeerRef): KvPool;
}

/** One block to send: its index in the transfer and its bytes (a view into the source pool). */
export interface KvSendItem {
  index: number;
  bytes: Uint8Array;
}

/** What a transport sends for an outbound transfer: blocks to one peer agent run. */
export interface KvSendJob {
  transferId: string;
  from: KvPeerRef;
  to: KvPeerRef;
  items: readonly KvSendItem[];
  /** The largest message the peer takes (from its handshake). */
  maxMessageBytes: number;
  /** Aborted when the transfer is cancelled: stop before the next read of the source pool. */
  signal: AbortSignal;
  /** Called for each message the transport sends again (telemetry counts retries). */
  onRetry?: () => void;
  /** The source pool the items are views of (a transport that registers memory needs it). */
  source: KvPool;
  /** Block ids at the receiver, by transfer index (`items[i].index` lands in block targetBlockIds[index]). */
  targetBlockIds: readonly number[];
  /** The receiver's handshake reply: its transports and what they need (e.g. its UCX address). */
  session: KvHandshakeReply;
}

/** What moved a job's blocks (a transport that falls back names the path it ended up on). */
export interface KvSendResult {
  transport: KvTransportKind;
}

/**
 * A data path between kv-connector agents, under the agent's transaction (handshake, reserve,
 * commit, release travel on the agent's bus whatever the transport). The agent calls `listen`
 * once at start and `send` for each batch of staged blocks; the receiver verifies every block's
 * crc32 at commit, so a transport that cannot acknowledge per block (an RMA put) is caught there
 * and the blocks are sent again. Implementations: UcxKvTransport (tagged UCX messages received
 * straight into the decode pool, NATS behind it), NatsChunkTransport (chunked request/reply,
 * per-chunk crc and retries), DirectCopyTransport (in-process put, the test double).
 */
export interface KvTransport {
  readonly kind: KvTransportKind;
  /** Every path it can take, preferred first (default: `[kind]`); the handshake announces them. */
  readonly kinds?: readonly KvTransportKind[];
  listen(self: KvPeerRef, sink: KvBlockSink): void;
  /**
   * Resolves when every item was delivered (acknowledged where the transport can), with the path
   * that moved them when the transport has several; throws ServiceError.
   */
  send(job: KvSendJob): Promise<KvSendResult | undefined>;
  /** Receiving side, in the handshake for `target`: what a sender needs to reach it over UCX. */
  offer?(target: PoolAttachment): Promise<KvUcxOffer | undefined>;
  /** Receiving side: the transfer ended; resolves once nothing of its data can land any more. */
  quiesce?(transferId: string): Promise<void>;
  /** The agent unmapped this pool (its engine detached or went away). */
  forget?(pool: KvPool): void;
  close(): void;
}
