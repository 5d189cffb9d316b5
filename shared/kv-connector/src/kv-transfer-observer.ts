import type { KvBusHeaders } from './kv-bus.js';
import type { KvTransportKind } from './kv-transport.js';

/** An outbound transfer as it starts at the sending agent (on its first `stage` or `finish`). */
export interface KvTransferStartInfo {
  transferId: string;
  requestId: string;
  transport: KvTransportKind;
  /** Bytes of one block of the source pool. */
  blockBytes: number;
}

/** How an outbound transfer ended: blocks and bytes handed to the transport (resends included). */
export interface KvTransferEndInfo {
  outcome: 'sent' | 'failed';
  blocks: number;
  bytes: number;
  /** Chunk retries of the transport plus rounds of blocks sent again after a bad commit. */
  retries: number;
  /** The path that moved the blocks (differs from the start's when a transport fell back). */
  transport?: KvTransportKind;
  error?: Error;
}

/**
 * Watches a sending agent's transfers (telemetry: a span and counters per transfer). KvAgent calls
 * `started` when an outbound transfer is created, with the headers of the engine message that
 * created it (the trace context of the prefill), and `ended` once on the returned handle.
 */
export interface KvTransferObserver {
  started(info: KvTransferStartInfo, headers: KvBusHeaders): { ended(info: KvTransferEndInfo): void };
}
