import { ServiceError, subjects } from '@pdserve/protocol';
import { blockChecksum } from './block-checksum.js';
import type { KvBus, KvBusSubscription } from './kv-bus.js';
import { transferError } from './kv-connector-errors.js';
import type { KvBlockSink, KvSendItem, KvSendJob, KvTransport } from './kv-transport.js';
import type { TransportTestFaults } from './transport-test-faults.js';
import type { KvPeerRef } from './wire-types.js';
import { type KvChunk, kvChunkAckCodec, kvChunkCodec } from './xfer-messages.js';

export interface NatsChunkTransportOptions {
  /** Wait for one chunk's acknowledgement (default 5 s). */
  chunkTimeoutMs?: number;
  /** Attempts per chunk (default 5) before the transfer fails. */
  maxAttempts?: number;
  /** Upper bound on a chunk's data, below the bus's max payload (default: max payload - 64 KiB). */
  maxChunkBytes?: number;
  /** TEST HOOK: fault injection (see TransportTestFaults). */
  testFaults?: TransportTestFaults | null;
}

/** Room left in a message for the envelope, the header fields and the segment list. */
const ENVELOPE_BYTES = 64 * 1024;

/** A chunk before it is sent: its segments and its bytes (copied from the source pool). */
interface PlannedChunk {
  segments: number[];
  parts: { item: KvSendItem; offset: number; length: number }[];
  bytes: number;
}

/**
 * The NATS data path (the fallback to UCX): blocks go in request/reply chunks under the bus's max
 * payload (a block larger than a chunk is split), each chunk carrying its crc32 and acknowledged
 * by the receiver, which writes it into the decode pool. A chunk that times out or arrives
 * corrupt is sent again, at most `maxAttempts` times; writes are idempotent, so a duplicate is
 * harmless. The receiver's commit verifies whole blocks on top.
 */
export class NatsChunkTransport implements KvTransport {
  readonly kind = 'nats' as const;
  private sub: KvBusSubscription | null = null;
  private readonly chunkTimeoutMs: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly bus: KvBus,
    private readonly options: NatsChunkTransportOptions = {},
  ) {
    this.chunkTimeoutMs = options.chunkTimeoutMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  listen(self: KvPeerRef, sink: KvBlockSink): void {
    this.sub = this.bus.serve(
      subjects.kvXfer(self.agentId, 'chunk'),
      kvChunkCodec,
      kvChunkAckCodec,
      (chunk) => {
        if (chunk.toEpoch !== self.epoch)
          throw transferError(
            'unavailable',
            chunk.transferId,
            `agent ${self.agentId} restarted (epoch ${self.epoch})`,
          );
        if (blockChecksum(chunk.data) !== chunk.crc) return { status: 'corrupt' as const };
        writeChunk(chunk, sink);
        return { status: 'ok' as const };
      },
    );
  }

  async send(job: KvSendJob): Promise<undefined> {
    const limit = Math.min(job.maxMessageBytes, this.bus.maxPayload) - ENVELOPE_BYTES;
    const budget = Math.max(1024, Math.min(limit, this.options.maxChunkBytes ?? limit));
    let seq = 0;
    for (const chunk of planChunks(job.items, budget)) await this.sendChunk(job, chunk, seq++);
    return undefined;
  }

  close(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  private async sendChunk(job: KvSendJob, chunk: PlannedChunk, seq: number): Promise<void> {
    if (job.signal.aborted) throw transferError('aborted', job.transferId, 'cancelled');
    const data = new Uint8Array(chunk.bytes);
    let pos = 0;
    for (const p of chunk.parts) {
      data.set(p.item.bytes.subarray(p.offset, p.offset + p.length), pos);
      pos += p.length;
    }
    const crc = blockChecksum(data);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (job.signal.aborted) throw transferError('aborted', job.transferId, 'cancelled');
      if (attempt > 1) job.onRetry?.();
      const action =
        (await this.options.testFaults?.before({ transferId: job.transferId, seq, attempt })) ?? 'deliver';
      const sent = action === 'corrupt' ? corrupted(data) : data;
      const msg: KvChunk = {
        transferId: job.transferId,
        from: job.from,
        toEpoch: job.to.epoch,
        seq,
        segments: chunk.segments,
        crc,
        data: sent,
      };
      try {
        if (action === 'drop') throw new ServiceError('timeout', `chunk ${seq} lost (test fault)`);
        const ack = await this.bus.request(
          subjects.kvXfer(job.to.agentId, 'chunk'),
          kvChunkCodec,
          msg,
          kvChunkAckCodec,
          {
            timeoutMs: this.chunkTimeoutMs,
          },
        );
        if (action === 'dropReply')
          throw new ServiceError('timeout', `ack of chunk ${seq} lost (test fault)`);
        if (ack.status === 'ok') return;
      } catch (err) {
        if (!(err instanceof ServiceError) || err.code !== 'timeout') throw err;
      }
    }
    throw transferError('timeout', job.transferId, `chunk ${seq} failed ${this.maxAttempts} times`);
  }
}

/** Splits items into chunks of at most `budget` data bytes, splitting blocks where needed. */
function planChunks(items: readonly KvSendItem[], budget: number): PlannedChunk[] {
  const chunks: PlannedChunk[] = [];
  let cur: PlannedChunk = { segments: [], parts: [], bytes: 0 };
  for (const item of items) {
    let offset = 0;
    while (offset < item.bytes.length) {
      if (cur.bytes === budget) {
        chunks.push(cur);
        cur = { segments: [], parts: [], bytes: 0 };
      }
      const length = Math.min(item.bytes.length - offset, budget - cur.bytes);
      cur.segments.push(item.index, offset, length);
      cur.parts.push({ item, offset, length });
      cur.bytes += length;
      offset += length;
    }
  }
  if (cur.bytes > 0) chunks.push(cur);
  return chunks;
}

function writeChunk(chunk: KvChunk, sink: KvBlockSink): void {
  const segs = chunk.segments;
  if (segs.length % 3 !== 0)
    throw transferError('invalid_request', chunk.transferId, 'malformed segment list');
  let pos = 0;
  for (let i = 0; i < segs.length; i += 3) {
    const [index, offset, length] = [segs[i], segs[i + 1], segs[i + 2]];
    const target = sink.targetBlock(chunk.transferId, chunk.from, index);
    if (offset + length > target.length || pos + length > chunk.data.length)
      throw transferError(
        'invalid_request',
        chunk.transferId,
        `segment ${index}@${offset}+${length} overflows`,
      );
    target.set(chunk.data.subarray(pos, pos + length), offset);
    pos += length;
  }
}

function corrupted(data: Uint8Array): Uint8Array {
  const copy = data.slice();
  copy[copy.length >> 1] ^= 0x5a;
  return copy;
}
