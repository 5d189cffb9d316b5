import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, crc32Accelerated, crc32PoolBlocks } from './crc32.js';
import { KvPool } from './kv-pool.js';

test('crc32 equals zlib for every length around the 16- and 64-byte folds, and with seeds', () => {
  assert.equal(typeof crc32Accelerated(), 'boolean');
  for (let n = 0; n < 300; n++) {
    const b = randomBytes(n);
    assert.equal(crc32(b), zlibCrc32(b) >>> 0, `length ${n}`);
  }
  for (const n of [4096, 65_537, 1 << 20]) {
    const b = randomBytes(n);
    const seed = 0x12345678;
    assert.equal(crc32(b, seed), zlibCrc32(b, seed) >>> 0, `length ${n}, seeded`);
    // Chaining: the crc of a prefix seeds the rest.
    assert.equal(crc32(b.subarray(100), crc32(b.subarray(0, 100))), zlibCrc32(b) >>> 0);
  }
});

test('crc32PoolBlocks checksums a range of a pool and keeps it mapped through a close()', async () => {
  const pool = new KvPool({ numBlocks: 8, blockSize: 16, layers: 2, kvHeads: 2, headDim: 32, dtype: 'f32' });
  const bytes = new Uint8Array(pool.buffer());
  bytes.set(randomBytes(bytes.byteLength));
  const b = pool.blockBytes;
  const expected = [2, 3, 4].map((i) => zlibCrc32(bytes.subarray(i * b, (i + 1) * b)) >>> 0);
  const pending = crc32PoolBlocks(pool, 2 * b, 3 * b, b);
  pool.close(); // the native task holds the mapping
  assert.deepEqual([...(await pending)], expected);
  assert.throws(() => crc32PoolBlocks(pool, 0, b, b), /closed/);
});

test('crc32PoolBlocks refuses ranges outside the pool or not of whole blocks', () => {
  const pool = new KvPool({ numBlocks: 4, blockSize: 16, layers: 1, kvHeads: 1, headDim: 8, dtype: 'f32' });
  const b = pool.blockBytes;
  try {
    assert.throws(() => crc32PoolBlocks(pool, 3 * b, 2 * b, b), RangeError);
    assert.throws(() => crc32PoolBlocks(pool, 0, b + 1, b), RangeError);
    assert.throws(() => crc32PoolBlocks(pool, 0, b, 0), RangeError);
  } finally {
    pool.close();
  }
});
