import { loadAddon } from './addon.js';
import type { KvPool, NativeKvPool } from './kv-pool.js';

interface Crc32Addon {
  crc32(bytes: Uint8Array, seed?: number): number;
  crc32Blocks(bytes: Uint8Array, blockBytes: number): Promise<Uint32Array>;
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
 * The crc32 of every `blockBytes`-long slice of `bytes`, computed off the JS thread on the native
 * thread pool. `bytes` must hold whole blocks and must not change until the Promise settles.
 */
export function crc32Blocks(bytes: Uint8Array, blockBytes: number): Promise<Uint32Array> {
  if (!Number.isSafeInteger(blockBytes) || blockBytes < 1)
    throw new RangeError('blockBytes must be a positive integer');
  if (bytes.byteLength % blockBytes !== 0) throw new RangeError('bytes must hold whole blocks of blockBytes');
  return loadAddon<Crc32Addon>().crc32Blocks(bytes, blockBytes);
}

/**
 * crc32Blocks over `bytes` bytes of a KvPool from `offset`: the pool stays mapped until it
 * settles, even if it is closed meanwhile (a view of it would be detached under the threads).
 */
export function crc32PoolBlocks(
  pool: KvPool,
  offset: number,
  bytes: number,
  blockBytes: number,
): Promise<Uint32Array> {
  if (!Number.isSafeInteger(blockBytes) || blockBytes < 1)
    throw new RangeError('blockBytes must be a positive integer');
  return loadAddon<Crc32Addon>().crc32PoolBlocks(pool.native, offset, bytes, blockBytes);
}

/** True when crc32 uses PCLMULQDQ (otherwise a bytewise table). */
export function crc32Accelerated(): boolean {
  return loadAddon<Crc32Addon>().crc32Accelerated;
}
