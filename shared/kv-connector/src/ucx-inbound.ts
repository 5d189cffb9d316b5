import type { KvPool, UcxMemory, UcxWorker } from '@pdserve/native';
import { UcxError } from '@pdserve/native';
import type { KvBlockSink } from './kv-transport.js';
import { type KvUcxHeader, kvUcxHeaderCodec, UCX_HEADER_TAG, UCX_MAX_HEADER_BYTES } from './ucx-messages.js';

/** The receives posted for one inbound transfer. */
interface Posted {
  abort: AbortController;
  pending: Set<Promise<unknown>>;
}

/**
 * The receiving side of the UCX data path: takes the senders' headers and posts, for each run of
 * blocks, a receive straight into the decode pool's blocks (the sink says where they are, and
 * refuses transfers not reserved by that sender); the sender's data then lands by rendezvous,
 * pulled by this side (one cma copy on one host). `quiesce` cancels a transfer's receives and
 * waits for those already under way, so its blocks can be freed. Owned by UcxKvTransport.
 */
export class UcxInbound {
  private readonly posted = new Map<string, Posted>();
  private readonly stop = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly worker: UcxWorker,
    /** The registration of the pool an ArrayBuffer (a block view's buffer) belongs to. */
    private readonly memoryOf: (buffer: ArrayBufferLike) => UcxMemory | undefined,
    /** Registers a pool (once; cached by the transport). */
    private readonly register: (pool: KvPool) => Promise<UcxMemory>,
    private readonly opTimeoutMs: number,
  ) {}

  /** Starts taking headers for `sink`. */
  start(sink: KvBlockSink): void {
    this.loop ??= this.takeHeaders(sink);
  }

  /** Cancels the transfer's receives; resolves once none of them can write any more. */
  async quiesce(transferId: string): Promise<void> {
    const p = this.posted.get(transferId);
    if (p === undefined) return;
    p.abort.abort();
    await Promise.allSettled([...p.pending]);
    if (this.posted.get(transferId) === p && p.pending.size === 0) this.posted.delete(transferId);
  }

  /** Stops taking headers and quiesces every transfer. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([this.loop, ...[...this.posted.keys()].map((id) => this.quiesce(id))]);
  }

  private async takeHeaders(sink: KvBlockSink): Promise<void> {
    while (!this.stop.signal.aborted) {
      let data: Uint8Array;
      try {
        const msg = await this.worker.recvTag(UCX_HEADER_TAG, {
          mask: UCX_HEADER_TAG,
          maxBytes: UCX_MAX_HEADER_BYTES,
          timeoutMs: 60_000,
          signal: this.stop.signal,
        });
        data = msg.data;
      } catch (e) {
        if (e instanceof UcxError && e.code === 'TIMEOUT') continue;
        return; // closed (CANCELED) or the worker failed: no more UCX data comes in
      }
      try {
        const h = kvUcxHeaderCodec.decode(data);
        const pool = sink.targetPool?.(h.transferId, h.from);
        if (pool !== undefined) await this.register(pool); // a pool attached since the handshake
        this.post(h, sink);
      } catch {
        // Malformed, or a transfer this sender does not hold: nothing is posted, so its sends
        // time out at the sender, which falls back to NATS (and is refused there too).
      }
    }
  }

  /** Posts the receives of one header (all runs checked first: one bad run refuses the header). */
  private post(h: KvUcxHeader, sink: KvBlockSink): void {
    const runs: {
      first: number;
      count: number;
      tag: bigint;
      mem: UcxMemory;
      offset: number;
      bytes: number;
    }[] = [];
    for (let i = 0; i + 2 < h.runs.length; i += 3) {
      const [first, count, tag] = [h.runs[i] as number, h.runs[i + 1] as number, h.runs[i + 2] as number];
      const head = sink.targetBlock(h.transferId, h.from, first);
      for (let k = 1; k < count; k++) {
        const b = sink.targetBlock(h.transferId, h.from, first + k);
        if (b.buffer !== head.buffer || b.byteOffset !== head.byteOffset + k * head.byteLength)
          throw new RangeError(`run at block ${first} is not contiguous in the decode pool`);
      }
      const mem = this.memoryOf(head.buffer);
      if (mem === undefined) throw new RangeError('the decode pool is not registered with UCX');
      runs.push({
        first,
        count,
        tag: BigInt(tag),
        mem,
        offset: head.byteOffset,
        bytes: count * head.byteLength,
      });
    }
    let p = this.posted.get(h.transferId);
    if (p === undefined || p.abort.signal.aborted) {
      p = { abort: new AbortController(), pending: new Set() };
      this.posted.set(h.transferId, p);
    }
    const posted = p;
    for (const r of runs) {
      const done: Promise<unknown> = this.worker
        .recvInto(r.tag, r.mem, r.offset, r.bytes, {
          timeoutMs: this.opTimeoutMs,
          signal: posted.abort.signal,
        })
        .then(
          () => sink.landed?.(h.transferId, h.from, r.first, r.count), // checksummed as they land
          () => {}, // a failed receive leaves its blocks to the commit's checksum check
        )
        .finally(() => posted.pending.delete(done));
      posted.pending.add(done);
    }
  }
}
