import { loadAddon } from './addon.js';
import type { KvPool, NativeKvPool } from './kv-pool.js';

interface Crc32Addon {
  crc32(bytes: Uint8Array, seed?: number): number;
  crc32PoolBlocks(
    pool: NativeKvPool,
    offset: number,
    bytes: number,
    blockBytes: number,
  ): Promise<Uint32Array>;
  crc32Accelerated: boolean;
}

/**
 * CRC-32 of `bytes` with zlib's polynomial and conventions (equal to node:zlib's crc32 for the
 * same seed), folded with carry-less multiplication where the CPU has it (several GB/s).
 */
export function crc32(bytes: Uint8Array, seed = 0): number {
  return loadAddon<Crc32Addon>().crc32(bytes, seed);
}

/**
 * The crc32 of every `blockBytes`-long block of `bytes` bytes of a KvPool from `offset`, taken on
 * one thread off the JS thread (concurrent calls run on libuv's pool). The pool stays mapped until
 * it settles, even if it is closed meanwhile (a view of it would be detached under the thread).
 */
export function crc32PoolBlocks(
  pool: KvPool,
  offset: number,
  bytes: number,
  blockBytes: number,
): Promise<Uint32Array> {
  if (!Number.isSafeInteger(blockBytes) || blockBytes < 1)
    throw new RangeError('blockBytes must be a positive integer');
  if (bytes % blockBytes !== 0) throw new RangeError('bytes must hold whole blocks of blockBytes');
  return loadAddon<Crc32Addon>().crc32PoolBlocks(pool.native, offset, bytes, blockBytes);
}

/** True when crc32 uses PCLMULQDQ (otherwise a bytewise table). */
export function crc32Accelerated(): boolean {
  return loadAddon<Crc32Addon>().crc32Accelerated;
}
