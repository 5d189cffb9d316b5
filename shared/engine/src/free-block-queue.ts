import { EngineError } from './errors.js';
import { KvCacheBlock } from './kv-cache-block.js';

/**
 * The free blocks as an intrusive doubly linked list: front = next to allocate and first to evict
 * (least recently used), back = most recently freed. Every operation is O(1), including removing
 * a block from the middle when a prefix-cache hit revives it. Used only by BlockPool.
 */
export class FreeBlockQueue {
  private readonly head = new KvCacheBlock(-1);
  private readonly tail = new KvCacheBlock(-1);
  private size = 0;

  /** Starts with `blocks` free, in order. */
  constructor(blocks: readonly KvCacheBlock[]) {
    this.head.nextFree = this.tail;
    this.tail.prevFree = this.head;
    for (const b of blocks) this.append(b);
  }

  get numFreeBlocks(): number {
    return this.size;
  }

  /** True while `block` is in the queue. */
  has(block: KvCacheBlock): boolean {
    return block.prevFree !== null;
  }

  /** Removes and returns the least recently used block. */
  popLeft(): KvCacheBlock {
    const first = this.head.nextFree!;
    if (first === this.tail) throw new EngineError('no free blocks left');
    this.remove(first);
    return first;
  }

  /** Removes `block` from wherever it is in the queue. */
  remove(block: KvCacheBlock): void {
    const prev = block.prevFree;
    const next = block.nextFree;
    if (prev === null || next === null) throw new EngineError(`block ${block.blockId} is not free`);
    prev.nextFree = next;
    next.prevFree = prev;
    block.prevFree = null;
    block.nextFree = null;
    this.size--;
  }

  /** Puts `block` at the back (most recently used). */
  append(block: KvCacheBlock): void {
    if (block.prevFree !== null) throw new EngineError(`block ${block.blockId} is already free`);
    const last = this.tail.prevFree!;
    last.nextFree = block;
    block.prevFree = last;
    block.nextFree = this.tail;
    this.tail.prevFree = block;
    this.size++;
  }

  /** The free blocks from front (next evicted) to back; for tests and debugging. */
  toArray(): KvCacheBlock[] {
    const out: KvCacheBlock[] = [];
    for (let b = this.head.nextFree!; b !== this.tail; b = b.nextFree!) out.push(b);
    return out;
  }
}
