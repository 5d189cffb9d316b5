import { crc32, crc32PoolBlocks, type KvPool } from '@pdserve/native';

/** crc32 of one block's bytes (or a chunk's data): the checksum both ends of a transfer compare (zlib's CRC-32). */
export function blockChecksum(bytes: Uint8Array): number {
  return crc32(bytes);
}

/**
 * The checksums of `count` consecutive blocks of `pool` from byte `offset`, off the JS thread (the
 * native thread pool, the pool kept mapped meanwhile): what a sender computes while its blocks
 * are on the wire, and what a receiver computes as they land.
 */
export function blockChecksums(pool: KvPool, offset: number, count: number): Promise<Uint32Array> {
  return crc32PoolBlocks(pool, offset, count * pool.blockBytes, pool.blockBytes);
}
