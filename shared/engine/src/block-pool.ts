import type { BlockHash } from './block-hasher.js';
import { EngineError } from './errors.js';
import { FreeBlockQueue } from './free-block-queue.js';
import { KvCacheBlock } from './kv-cache-block.js';
import type { KvCacheEvent } from './kv-events.js';

/** How a BlockPool is sized and what it records. */
export interface BlockPoolOptions {
  numBlocks: number;
  blockSize: number;
  /** Keep freed full blocks findable by hash until evicted (prefix caching). */
  enableCaching: boolean;
  /** Record KvCacheEvents for `takeEvents()`; off by default so nothing accumulates unread. */
  enableKvCacheEvents?: boolean;
}

/**
 * Every KV block's metadata: ref counts, the free queue (which is also the LRU eviction order),
 * and the hash -> block map of the prefix cache. Only the KvCacheManager calls it: to allocate
 * (`getNewBlocks`, evicting the least recently used cached block), to share (`touch`), to release
 * (`freeBlocks`) and to register full blocks (`cacheFullBlocks`).
 */
export class BlockPool {
  readonly blocks: readonly KvCacheBlock[];
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly enableCaching: boolean;
  private readonly freeQueue: FreeBlockQueue;
  private readonly cachedBlocks = new Map<BlockHash, KvCacheBlock>();
  private readonly recordEvents: boolean;
  private events: KvCacheEvent[] = [];
  private nextSeq = 0;

  constructor(options: BlockPoolOptions) {
    if (!Number.isInteger(options.numBlocks) || options.numBlocks < 1) {
      throw new EngineError(`a block pool needs at least one block, got ${options.numBlocks}`);
    }
    this.numBlocks = options.numBlocks;
    this.blockSize = options.blockSize;
    this.enableCaching = options.enableCaching;
    this.recordEvents = options.enableKvCacheEvents ?? false;
    this.blocks = Array.from({ length: this.numBlocks }, (_, i) => new KvCacheBlock(i));
    this.freeQueue = new FreeBlockQueue(this.blocks);
  }

  /** Blocks that can be allocated now (free ones, cached or not). */
  get numFreeBlocks(): number {
    return this.freeQueue.numFreeBlocks;
  }

  /** Fraction of blocks in use by requests, in [0, 1]. */
  get usage(): number {
    return 1 - this.numFreeBlocks / this.numBlocks;
  }

  /** The block cached under `hash`, if any (free or in use). */
  getCachedBlock(hash: BlockHash): KvCacheBlock | undefined {
    return this.cachedBlocks.get(hash);
  }

  /** Pairs with getNewBlocks: whether `n` blocks can be allocated now. */
  canAllocate(n: number): boolean {
    return n <= this.numFreeBlocks;
  }

  /** Takes `n` blocks from the front of the free queue (evicting their cached hashes); ref count 1 each. */
  getNewBlocks(n: number): KvCacheBlock[] {
    if (!this.canAllocate(n))
      throw new EngineError(`cannot allocate ${n} blocks, ${this.numFreeBlocks} free`);
    const out: KvCacheBlock[] = [];
    const evicted: BlockHash[] = [];
    for (let i = 0; i < n; i++) {
      const block = this.freeQueue.popLeft();
      if (block.blockHash !== null) {
        evicted.push(block.blockHash);
        this.uncache(block);
      }
      block.refCnt = 1;
      out.push(block);
    }
    if (evicted.length > 0) this.emit({ type: 'BlockRemoved', blockHashes: evicted });
    return out;
  }

  /** Adds a reference to each block (a prefix-cache hit or a fork), reviving free ones. */
  touch(blocks: readonly KvCacheBlock[]): void {
    for (const block of blocks) {
      if (block.refCnt === 0) this.freeQueue.remove(block);
      block.refCnt++;
    }
  }

  /**
   * Drops one reference from each block; a block reaching zero goes to the back of the free queue.
   * Callers pass a request's blocks tail first, so a request's last blocks are evicted first.
   */
  freeBlocks(orderedBlocks: readonly KvCacheBlock[]): void {
    for (const block of orderedBlocks) {
      if (block.refCnt <= 0) throw new EngineError(`block ${block.blockId} freed more often than allocated`);
      block.refCnt--;
      if (block.refCnt === 0) this.freeQueue.append(block);
    }
  }

  /**
   * Registers blocks[numCachedBlocks, numFullBlocks) under blockHashes of the same indices, and
   * records BlockStored for each contiguous run that was newly stored. A hash already cached by
   * another block is left to that block (this one stays unregistered and is freed normally).
   */
  cacheFullBlocks(
    blocks: readonly KvCacheBlock[],
    blockHashes: readonly BlockHash[],
    tokenIds: readonly number[],
    numCachedBlocks: number,
    numFullBlocks: number,
  ): void {
    if (!this.enableCaching || numFullBlocks <= numCachedBlocks) return;
    if (blockHashes.length < numFullBlocks) throw new EngineError('block hashes missing for full blocks');
    let runStart = -1;
    for (let i = numCachedBlocks; i <= numFullBlocks; i++) {
      const stored =
        i < numFullBlocks && this.register(blocks[i], blockHashes[i], i > 0 ? blockHashes[i - 1] : null);
      if (stored && runStart < 0) runStart = i;
      if (!stored && runStart >= 0) {
        this.emitStored(blockHashes, tokenIds, runStart, i);
        runStart = -1;
      }
    }
  }

  /** Removes these blocks' hashes from the prefix cache (their K/V is not trustworthy), recording BlockRemoved. */
  uncacheBlocks(blocks: readonly KvCacheBlock[]): void {
    const removed: BlockHash[] = [];
    for (const block of blocks) {
      if (block.blockHash === null) continue;
      removed.push(block.blockHash);
      this.uncache(block);
    }
    if (removed.length > 0) this.emit({ type: 'BlockRemoved', blockHashes: removed });
  }

  /** Evicts every cached hash; only allowed while no block is in use. Returns false otherwise. */
  resetPrefixCache(): boolean {
    if (this.numFreeBlocks !== this.numBlocks) return false;
    for (const block of this.cachedBlocks.values()) {
      block.blockHash = null;
      block.parentHash = null;
    }
    this.cachedBlocks.clear();
    this.emit({ type: 'AllBlocksCleared' });
    return true;
  }

  /** Returns and forgets the events recorded since the last call, oldest first. */
  takeEvents(): KvCacheEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  /** The free blocks in eviction order (front first); for tests and debugging. */
  freeBlockOrder(): number[] {
    return this.freeQueue.toArray().map((b) => b.blockId);
  }

  private register(block: KvCacheBlock, hash: BlockHash, parent: BlockHash | null): boolean {
    if (block.blockHash !== null) {
      if (block.blockHash !== hash)
        throw new EngineError(`block ${block.blockId} is already cached as another hash`);
      return false;
    }
    if (this.cachedBlocks.has(hash)) return false;
    block.blockHash = hash;
    block.parentHash = parent;
    this.cachedBlocks.set(hash, block);
    return true;
  }

  private uncache(block: KvCacheBlock): void {
    if (block.blockHash !== null && this.cachedBlocks.get(block.blockHash) === block) {
      this.cachedBlocks.delete(block.blockHash);
    }
    block.blockHash = null;
    block.parentHash = null;
  }

  private emitStored(
    hashes: readonly BlockHash[],
    tokenIds: readonly number[],
    from: number,
    to: number,
  ): void {
    const bs = this.blockSize;
    this.emit({
      type: 'BlockStored',
      blockHashes: hashes.slice(from, to),
      parentBlockHash: from > 0 ? hashes[from - 1] : null,
      tokenIds: tokenIds.slice(from * bs, to * bs),
      blockSize: bs,
    });
  }

  private emit(event: DistributiveOmit<KvCacheEvent, 'seq'>): void {
    const seq = this.nextSeq++;
    if (this.recordEvents) this.events.push({ ...event, seq } as KvCacheEvent);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
