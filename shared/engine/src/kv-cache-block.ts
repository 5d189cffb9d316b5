import type { BlockHash } from './block-hasher.js';

/**
 * One KV cache block's metadata (the K/V data lives in the runner's pool at `blockId`). Owned by
 * the BlockPool; `refCnt` counts the requests whose block tables hold it, `blockHash` is set once
 * the block is full and registered in the prefix cache. The prev/next links belong to the
 * FreeBlockQueue and are non-null exactly while the block is in it.
 */
export class KvCacheBlock {
  refCnt = 0;
  blockHash: BlockHash | null = null;
  /** Parent hash the block was registered under (for BlockStored events). */
  parentHash: BlockHash | null = null;
  prevFree: KvCacheBlock | null = null;
  nextFree: KvCacheBlock | null = null;

  constructor(readonly blockId: number) {}
}
