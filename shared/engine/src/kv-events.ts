import type { BlockHash } from './block-hasher.js';

/**
 * Prefix-cache events, as vLLM publishes them, for the router's cluster view. `seq` is a
 * per-BlockPool sequence number starting at 0 and increasing by one per event, so a consumer
 * that sees a gap knows it missed events and must resync.
 */
export type KvCacheEvent = BlockStored | BlockRemoved | AllBlocksCleared;

/** Full blocks were registered in the prefix cache: a chain continuing from `parentBlockHash`. */
export interface BlockStored {
  type: 'BlockStored';
  seq: number;
  blockHashes: BlockHash[];
  parentBlockHash: BlockHash | null;
  /** The token ids of all the stored blocks, concatenated (blockSize per hash). */
  tokenIds: number[];
  blockSize: number;
}

/** Cached blocks were evicted (their memory reused); their hashes no longer hit. */
export interface BlockRemoved {
  type: 'BlockRemoved';
  seq: number;
  blockHashes: BlockHash[];
}

/** The whole prefix cache was reset. */
export interface AllBlocksCleared {
  type: 'AllBlocksCleared';
  seq: number;
}
