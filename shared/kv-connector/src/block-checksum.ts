import { crc32 } from 'node:zlib';

/** crc32 of one block's bytes (or a chunk's data): the checksum both ends of a transfer compare. */
export function blockChecksum(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}
