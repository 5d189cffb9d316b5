import { BlockHasher } from './block-hasher.js';
import { BlockPool } from './block-pool.js';
import { EngineError } from './errors.js';
import type { KvCacheBlock } from './kv-cache-block.js';
import type { KvCacheEvent } from './kv-events.js';
import type { Request } from './request.js';

/** How the KV cache is sized and keyed. `numBlocks` and `blockSize` must match the runner's pool. */
export interface KvCacheManagerOptions {
  numBlocks: number;
  /** Tokens per block (default 16). */
  blockSize?: number;
  enablePrefixCaching?: boolean;
  enableKvCacheEvents?: boolean;
  /** Seeds the block hash chain per model (a model fingerprint); the gateway must use the same. */
  hashSeed: string;
}

/** The longest cached prefix of a request: its blocks and how many tokens they hold. */
export interface ComputedBlocks {
  blocks: KvCacheBlock[];
  numComputedTokens: number;
}

/** Cumulative prefix-cache counters, in tokens (vLLM's prefix_cache_queries / hits). */
export interface PrefixCacheStats {
  requests: number;
  queries: number;
  hits: number;
}

/**
 * Maps requests to KV blocks. The Scheduler calls `getComputedBlocks` when it first schedules a
 * waiting request, `allocateSlots` before scheduling tokens (null: out of blocks, preempt), and
 * `free` when a request finishes, is aborted or preempted. It extends each request's block-hash
 * chain and registers full blocks in the prefix cache.
 */
export class KvCacheManager {
  readonly blockPool: BlockPool;
  readonly hasher: BlockHasher;
  readonly blockSize: number;
  readonly enablePrefixCaching: boolean;
  readonly prefixCacheStats: PrefixCacheStats = { requests: 0, queries: 0, hits: 0 };
  private readonly reqToBlocks = new Map<string, KvCacheBlock[]>();
  private readonly numCachedBlocks = new Map<string, number>();

  constructor(options: KvCacheManagerOptions) {
    this.blockSize = options.blockSize ?? 16;
    this.enablePrefixCaching = options.enablePrefixCaching ?? true;
    this.hasher = new BlockHasher(this.blockSize, options.hashSeed);
    this.blockPool = new BlockPool({
      numBlocks: options.numBlocks,
      blockSize: this.blockSize,
      enableCaching: this.enablePrefixCaching,
      enableKvCacheEvents: options.enableKvCacheEvents,
    });
  }

  get numFreeBlocks(): number {
    return this.blockPool.numFreeBlocks;
  }

  /** Fraction of the pool held by requests (vLLM's kv_cache_usage_perc). */
  get usage(): number {
    return this.blockPool.usage;
  }

  /**
   * The longest prefix of the request's tokens whose blocks are cached, never the whole request:
   * at least the last token is recomputed so there are logits to sample from. Requests that want
   * prompt logprobs get no hits (every prompt position must run).
   */
  getComputedBlocks(request: Request): ComputedBlocks {
    if (!this.enablePrefixCaching || request.samplingParams.promptLogprobs !== null) {
      return { blocks: [], numComputedTokens: 0 };
    }
    this.updateBlockHashes(request);
    const maxHitBlocks = Math.floor((request.numTokens - 1) / this.blockSize);
    const blocks: KvCacheBlock[] = [];
    for (let i = 0; i < maxHitBlocks; i++) {
      const block = this.blockPool.getCachedBlock(request.blockHashes[i]);
      if (block === undefined) break;
      blocks.push(block);
    }
    return { blocks, numComputedTokens: blocks.length * this.blockSize };
  }

  /** Counts one prefix-cache lookup that led to admission (the scheduler calls it once per admission). */
  recordPrefixCacheQuery(numQueriedTokens: number, numHitTokens: number): void {
    if (!this.enablePrefixCaching) return;
    this.prefixCacheStats.requests++;
    this.prefixCacheStats.queries += numQueriedTokens;
    this.prefixCacheStats.hits += numHitTokens;
  }

  /** Blocks `allocateSlots` would need to take from the free queue; pairs with it. */
  numBlocksToAllocate(
    request: Request,
    numNewTokens: number,
    newComputedBlocks: readonly KvCacheBlock[] = [],
  ): number {
    const held = this.reqToBlocks.get(request.requestId)?.length ?? 0;
    const numTokens = request.numComputedTokens + newComputedBlocks.length * this.blockSize + numNewTokens;
    const numNewBlocks = Math.max(0, Math.ceil(numTokens / this.blockSize) - held - newComputedBlocks.length);
    // Hits on free cached blocks take them out of the free queue too.
    return numNewBlocks + newComputedBlocks.filter((b) => b.refCnt === 0).length;
  }

  /**
   * Makes room for `numNewTokens` more tokens after the request's computed ones (plus the
   * `newComputedBlocks` of a prefix hit, for a request scheduled for the first time). Returns the
   * newly allocated blocks, or null (nothing changed) when the pool cannot supply them.
   */
  allocateSlots(
    request: Request,
    numNewTokens: number,
    newComputedBlocks: readonly KvCacheBlock[] = [],
  ): KvCacheBlock[] | null {
    if (numNewTokens <= 0 && newComputedBlocks.length === 0) return [];
    if (this.numBlocksToAllocate(request, numNewTokens, newComputedBlocks) > this.numFreeBlocks) return null;
    const id = request.requestId;
    let blocks = this.reqToBlocks.get(id);
    if (blocks === undefined) {
      blocks = [];
      this.reqToBlocks.set(id, blocks);
      this.numCachedBlocks.set(id, 0);
    }
    if (newComputedBlocks.length > 0) {
      if (blocks.length > 0)
        throw new EngineError(`request ${id} already holds blocks; a prefix hit must come first`);
      this.blockPool.touch(newComputedBlocks);
      blocks.push(...newComputedBlocks);
      this.numCachedBlocks.set(id, newComputedBlocks.length);
    }
    const numComputed = request.numComputedTokens + newComputedBlocks.length * this.blockSize;
    const needed = Math.ceil((numComputed + numNewTokens) / this.blockSize) - blocks.length;
    const fresh = this.blockPool.getNewBlocks(Math.max(0, needed));
    blocks.push(...fresh);
    this.cacheBlocks(request, blocks, Math.min(numComputed + numNewTokens, request.numTokens));
    return fresh;
  }

  /**
   * Decode side of a disaggregated request (EngineCore.addRequest): allocates fresh blocks for the
   * first `numTokens` tokens, whose KV another instance computes and a transfer writes. They are
   * not registered in the prefix cache until `cacheExternal` (their content is not there yet).
   * The request must hold no blocks. Returns the blocks, or null (nothing changed) when the pool
   * cannot supply them.
   */
  allocateExternal(request: Request, numTokens: number): KvCacheBlock[] | null {
    const id = request.requestId;
    if (this.reqToBlocks.has(id)) throw new EngineError(`request ${id} already holds blocks`);
    const n = Math.ceil(numTokens / this.blockSize);
    if (!this.blockPool.canAllocate(n)) return null;
    const blocks = this.blockPool.getNewBlocks(n);
    this.reqToBlocks.set(id, blocks);
    this.numCachedBlocks.set(id, 0);
    return [...blocks];
  }

  /** After a transfer wrote (and verified) the KV of the request's first `numTokens` tokens: registers its full blocks in the prefix cache. */
  cacheExternal(request: Request, numTokens: number): void {
    const blocks = this.reqToBlocks.get(request.requestId);
    if (blocks === undefined) throw new EngineError(`request ${request.requestId} holds no blocks`);
    this.cacheBlocks(request, blocks, Math.min(numTokens, request.numTokens));
  }

  /** Releases every block of the request (tail first, so its last blocks are evicted first). */
  free(request: Request): void {
    const blocks = this.reqToBlocks.get(request.requestId);
    if (blocks === undefined) return;
    this.blockPool.freeBlocks([...blocks].reverse());
    this.reqToBlocks.delete(request.requestId);
    this.numCachedBlocks.delete(request.requestId);
  }

  /**
   * Lets `child` share the first `numBlocks` (full) blocks of `parent` (n > 1 fork): ref counts
   * go up, the child's hash chain starts from the parent's. The child must hold no blocks yet.
   */
  fork(parent: Request, child: Request, numBlocks: number): void {
    const parentBlocks = this.reqToBlocks.get(parent.requestId) ?? [];
    if (numBlocks > parentBlocks.length)
      throw new EngineError(`cannot share ${numBlocks} blocks of ${parent.requestId}`);
    if (this.reqToBlocks.has(child.requestId))
      throw new EngineError(`request ${child.requestId} already holds blocks`);
    const shared = parentBlocks.slice(0, numBlocks);
    this.blockPool.touch(shared);
    this.reqToBlocks.set(child.requestId, shared);
    this.numCachedBlocks.set(child.requestId, numBlocks);
    child.blockHashes.push(...parent.blockHashes.slice(0, numBlocks));
  }

  /**
   * Removes these blocks from the prefix cache (recording BlockRemoved): a step that was writing
   * their K/V failed. They stay allocated to whoever holds them.
   */
  uncacheBlockIds(blockIds: readonly number[]): void {
    this.blockPool.uncacheBlocks(blockIds.map((id) => this.blockPool.blocks[id]));
  }

  /** The request's block table (block ids in order); empty when it holds none. */
  getBlockIds(requestId: string): number[] {
    return (this.reqToBlocks.get(requestId) ?? []).map((b) => b.blockId);
  }

  /**
   * The KV slots of the blocks these requests hold (each block once: shared prefix blocks count
   * once) and how many hold computed tokens (block j of a request holds its tokens j * blockSize
   * up to numComputedTokens). For KV-waste figures; O(blocks held).
   */
  slotUsage(requests: Iterable<Request>): { reservedSlots: number; usedSlots: number } {
    const bs = this.blockSize;
    const seen = new Set<number>();
    let reservedSlots = 0;
    let usedSlots = 0;
    for (const request of requests) {
      const blocks = this.reqToBlocks.get(request.requestId) ?? [];
      for (let j = 0; j < blocks.length; j++) {
        if (seen.has(blocks[j].blockId)) continue;
        seen.add(blocks[j].blockId);
        reservedSlots += bs;
        usedSlots += Math.min(bs, Math.max(0, request.numComputedTokens - j * bs));
      }
    }
    return { reservedSlots, usedSlots };
  }

  /** Number of requests holding blocks (for leak checks). */
  get numRequestsHoldingBlocks(): number {
    return this.reqToBlocks.size;
  }

  /** Clears the prefix cache if no block is in use; returns whether it did. */
  resetPrefixCache(): boolean {
    return this.blockPool.resetPrefixCache();
  }

  takeEvents(): KvCacheEvent[] {
    return this.blockPool.takeEvents();
  }

  /** Extends request.blockHashes over every full block of its known tokens. */
  updateBlockHashes(request: Request): void {
    this.hasher.extendChain(request.blockHashes, request.allTokenIds, request.cacheSalt);
  }

  private cacheBlocks(request: Request, blocks: readonly KvCacheBlock[], numKnownTokens: number): void {
    if (!this.enablePrefixCaching) return;
    const numFull = Math.floor(numKnownTokens / this.blockSize);
    const numCached = this.numCachedBlocks.get(request.requestId) ?? 0;
    if (numFull <= numCached) return;
    this.updateBlockHashes(request);
    this.blockPool.cacheFullBlocks(blocks, request.blockHashes, request.allTokenIds, numCached, numFull);
    this.numCachedBlocks.set(request.requestId, numFull);
  }
}
