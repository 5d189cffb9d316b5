import { KvPool, type UcxMemory, type UcxWorker } from '@pdserve/native';
import { transferError } from './kv-connector-errors.js';
import type { KvSendJob } from './kv-transport.js';
import type { TransportTestFaults } from './transport-test-faults.js';

/**
 * The largest run: a big batch lands as several messages, so the receiver checksums the first
 * runs while the later ones are still coming.
 */
export const MAX_RUN_BYTES = 32 << 20;

/** One tagged message of a batch: blocks firstIndex .. firstIndex + count - 1, from `mem()` at `offset`. */
export interface PlannedRun {
  firstIndex: number;
  count: number;
  tag: number;
  offset: number;
  bytes: number;
  mem(): UcxMemory;
}

/** A batch's runs, and the scratch region holding the blocks that are not views of the source pool. */
export interface UcxPlan {
  runs: PlannedRun[];
  scratch: ScratchRegion | null;
}

/** Blocks copied out of place (test faults' corruptions, or items that are not pool views), registered for the send. */
export class ScratchRegion {
  private mem: UcxMemory | null = null;
  private readonly pool: KvPool;
  readonly slotBytes: number;
  /** A batch is using it (a second concurrent batch takes a region of its own). */
  busy = false;

  constructor(
    readonly slots: number,
    blockBytes: number,
  ) {
    const headDim = Math.ceil(blockBytes / 8); // a 1x1x1 layout of 2 * headDim f32 values per slot
    this.pool = new KvPool({ numBlocks: slots, blockSize: 1, layers: 1, kvHeads: 1, headDim, dtype: 'f32' });
    this.slotBytes = this.pool.blockBytes;
  }

  /** True when it holds `slots` blocks of `blockBytes`. */
  fits(slots: number, blockBytes: number): boolean {
    return slots <= this.slots && blockBytes <= this.slotBytes;
  }

  /** Copies `bytes` into slot `i`; returns its offset. */
  put(i: number, bytes: Uint8Array, corrupt: boolean): number {
    const view = new Uint8Array(this.pool.buffer(), i * this.slotBytes, bytes.byteLength);
    view.set(bytes);
    if (corrupt) view[view.length >> 1] = (view[view.length >> 1] as number) ^ 0x5a; // after the sender's checksum
    return i * this.slotBytes;
  }

  async register(worker: UcxWorker): Promise<void> {
    this.mem ??= await worker.register(this.pool);
  }

  memory(): UcxMemory {
    if (this.mem === null) throw new Error('scratch region used before register()');
    return this.mem;
  }

  async close(): Promise<void> {
    await this.mem?.close();
    this.pool.close();
  }
}

interface Entry {
  index: number;
  scratch: boolean;
  offset: number;
  bytes: number;
}

/**
 * Plans a batch: asks the fault hook about each block in order ('drop' leaves it out,
 * 'corrupt' sends a damaged copy, 'dropReply' sends it twice), then merges blocks consecutive in
 * the transfer, in the source pool and in the decode pool into one run each.
 */
export async function planUcxRuns(
  job: KvSendJob,
  source: UcxMemory,
  faults: TransportTestFaults | null,
  nextTag: () => number,
  scratchFor: (slots: number, blockBytes: number) => ScratchRegion,
): Promise<UcxPlan> {
  const entries: Entry[] = [];
  const copies: { bytes: Uint8Array; corrupt: boolean }[] = [];
  const sourceBuffer = job.source.buffer();
  for (const item of job.items) {
    const action =
      faults === null
        ? 'deliver'
        : await faults.before({ transferId: job.transferId, seq: item.index, attempt: 1 });
    if (job.signal.aborted) throw transferError('aborted', job.transferId, 'cancelled');
    if (action === 'drop') continue;
    const inPlace = action !== 'corrupt' && item.bytes.buffer === sourceBuffer;
    // Out of place, `offset` holds the scratch slot until the scratch region exists.
    const entry: Entry = {
      index: item.index,
      scratch: !inPlace,
      offset: inPlace ? item.bytes.byteOffset : copies.length,
      bytes: item.bytes.byteLength,
    };
    if (!inPlace) copies.push({ bytes: item.bytes, corrupt: action === 'corrupt' });
    entries.push(entry);
    if (action === 'dropReply') entries.push({ ...entry }); // delivered twice: a duplicate is harmless
  }
  let scratch: ScratchRegion | null = null;
  if (copies.length > 0) {
    const region = scratchFor(copies.length, Math.max(...copies.map((c) => c.bytes.byteLength)));
    const offsets = copies.map((c, slot) => region.put(slot, c.bytes, c.corrupt));
    for (const e of entries) if (e.scratch) e.offset = offsets[e.offset] as number;
    scratch = region;
  }
  return { runs: mergeRuns(entries, job.targetBlockIds, source, scratch, nextTag), scratch };
}

function mergeRuns(
  entries: Entry[],
  targets: readonly number[],
  source: UcxMemory,
  scratch: ScratchRegion | null,
  nextTag: () => number,
): PlannedRun[] {
  const runs: PlannedRun[] = [];
  let prev: Entry | null = null;
  for (const e of entries) {
    const last = runs[runs.length - 1];
    const joins =
      last !== undefined &&
      prev !== null &&
      !e.scratch &&
      !prev.scratch &&
      e.index === prev.index + 1 &&
      last.bytes + e.bytes <= MAX_RUN_BYTES &&
      e.offset === prev.offset + prev.bytes &&
      targets[e.index] === (targets[prev.index] as number) + 1;
    if (joins) {
      last.count++;
      last.bytes += e.bytes;
    } else {
      const mem = e.scratch ? () => scratch!.memory() : () => source;
      runs.push({ firstIndex: e.index, count: 1, tag: nextTag(), offset: e.offset, bytes: e.bytes, mem });
    }
    prev = e;
  }
  return runs;
}
