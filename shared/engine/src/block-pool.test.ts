import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockPool } from './block-pool.js';
import { EngineError } from './errors.js';
import { FreeBlockQueue } from './free-block-queue.js';
import { KvCacheBlock } from './kv-cache-block.js';

const pool = (numBlocks = 4) =>
  new BlockPool({ numBlocks, blockSize: 2, enableCaching: true, enableKvCacheEvents: true });
const ids = (blocks: readonly KvCacheBlock[]) => blocks.map((b) => b.blockId);

test('FreeBlockQueue: O(1) removal from the middle keeps order; misuse throws', () => {
  const blocks = [0, 1, 2, 3].map((i) => new KvCacheBlock(i));
  const q = new FreeBlockQueue(blocks);
  q.remove(blocks[2]);
  assert.deepEqual(ids(q.toArray()), [0, 1, 3]);
  assert.equal(q.popLeft().blockId, 0);
  q.append(blocks[2]);
  assert.deepEqual(ids(q.toArray()), [1, 3, 2]);
  assert.equal(q.numFreeBlocks, 3);
  assert.throws(() => q.append(blocks[1]), EngineError);
  assert.throws(() => q.remove(blocks[0]), EngineError);
  q.popLeft();
  q.popLeft();
  q.popLeft();
  assert.throws(() => q.popLeft(), EngineError);
});

test('allocation takes the front of the free queue; freed blocks go to the back (LRU)', () => {
  const p = pool();
  const a = p.getNewBlocks(2);
  assert.deepEqual(ids(a), [0, 1]);
  assert.deepEqual(
    a.map((b) => b.refCnt),
    [1, 1],
  );
  p.freeBlocks([a[1], a[0]]);
  assert.deepEqual(p.freeBlockOrder(), [2, 3, 1, 0]);
  assert.deepEqual(ids(p.getNewBlocks(3)), [2, 3, 1]);
  assert.equal(p.numFreeBlocks, 1);
  assert.equal(p.usage, 0.75);
  assert.equal(p.canAllocate(2), false);
  assert.throws(() => p.getNewBlocks(2), EngineError);
});

test('ref counts: shared blocks return to the free queue only at zero; over-free throws', () => {
  const p = pool();
  const [b] = p.getNewBlocks(1);
  p.touch([b]);
  assert.equal(b.refCnt, 2);
  p.freeBlocks([b]);
  assert.equal(p.numFreeBlocks, 3);
  p.freeBlocks([b]);
  assert.equal(b.refCnt, 0);
  assert.equal(p.numFreeBlocks, 4);
  assert.throws(() => p.freeBlocks([b]), EngineError);
});

test('touch revives a free cached block from the middle of the queue', () => {
  const p = pool();
  const blocks = p.getNewBlocks(4);
  p.cacheFullBlocks(blocks, ['h0', 'h1', 'h2', 'h3'], [0, 1, 2, 3, 4, 5, 6, 7], 0, 4);
  p.freeBlocks(blocks);
  const hit = p.getCachedBlock('h2')!;
  assert.equal(hit.blockId, 2);
  p.touch([hit]);
  assert.deepEqual(p.freeBlockOrder(), [0, 1, 3]);
  assert.equal(hit.refCnt, 1);
});

test('allocation evicts cached free blocks in LRU order and records events with sequence numbers', () => {
  const p = pool();
  const blocks = p.getNewBlocks(3);
  p.cacheFullBlocks(blocks, ['a', 'b', 'c'], [1, 2, 3, 4, 5, 6], 0, 3);
  p.freeBlocks([blocks[2], blocks[1], blocks[0]]);
  // Free order: 3 (never used), then c, b, a.
  assert.deepEqual(p.freeBlockOrder(), [3, 2, 1, 0]);
  p.getNewBlocks(2);
  assert.equal(p.getCachedBlock('c'), undefined);
  assert.equal(p.getCachedBlock('b')?.blockId, 1);
  assert.deepEqual(p.takeEvents(), [
    {
      type: 'BlockStored',
      seq: 0,
      blockHashes: ['a', 'b', 'c'],
      parentBlockHash: null,
      tokenIds: [1, 2, 3, 4, 5, 6],
      blockSize: 2,
    },
    { type: 'BlockRemoved', seq: 1, blockHashes: ['c'] },
  ]);
  assert.deepEqual(p.takeEvents(), []);
});

test('cacheFullBlocks registers only new full blocks; a hash cached elsewhere splits the stored run', () => {
  const p = pool(6);
  const first = p.getNewBlocks(1);
  p.cacheFullBlocks(first, ['x1'], [0, 0], 0, 1);
  const second = p.getNewBlocks(3);
  p.cacheFullBlocks(second, ['x0', 'x1', 'x2'], [9, 9, 0, 0, 7, 7], 0, 3);
  assert.equal(p.getCachedBlock('x1')?.blockId, 0);
  assert.equal(second[1].blockHash, null);
  const events = p.takeEvents();
  assert.deepEqual(
    events.map((e) =>
      e.type === 'BlockStored' ? [e.seq, e.blockHashes, e.parentBlockHash, e.tokenIds] : e.type,
    ),
    [
      [0, ['x1'], null, [0, 0]],
      [1, ['x0'], null, [9, 9]],
      [2, ['x2'], 'x1', [7, 7]],
    ],
  );
  // Nothing new when called again over the same range.
  p.cacheFullBlocks(second, ['x0', 'x1', 'x2'], [9, 9, 0, 0, 7, 7], 3, 3);
  assert.deepEqual(p.takeEvents(), []);
});

test('resetPrefixCache only when every block is free; records AllBlocksCleared', () => {
  const p = pool();
  const blocks = p.getNewBlocks(2);
  p.cacheFullBlocks(blocks, ['a', 'b'], [1, 2, 3, 4], 0, 2);
  assert.equal(p.resetPrefixCache(), false);
  p.freeBlocks(blocks);
  assert.equal(p.resetPrefixCache(), true);
  assert.equal(p.getCachedBlock('a'), undefined);
  assert.equal(blocks[0].blockHash, null);
  const events = p.takeEvents();
  assert.deepEqual(events.at(-1), { type: 'AllBlocksCleared', seq: 1 });
});

test('uncacheBlocks drops hashes of suspect blocks and records BlockRemoved', () => {
  const p = pool();
  const blocks = p.getNewBlocks(2);
  p.cacheFullBlocks(blocks, ['a', 'b'], [1, 2, 3, 4], 0, 2);
  p.uncacheBlocks([blocks[1]]);
  assert.equal(p.getCachedBlock('b'), undefined);
  assert.equal(p.getCachedBlock('a')?.blockId, 0);
  assert.deepEqual(p.takeEvents().at(-1), { type: 'BlockRemoved', seq: 1, blockHashes: ['b'] });
});

test('events are not recorded unless enabled; caching off registers nothing', () => {
  const quiet = new BlockPool({ numBlocks: 2, blockSize: 2, enableCaching: true });
  quiet.cacheFullBlocks(quiet.getNewBlocks(1), ['a'], [1, 2], 0, 1);
  assert.deepEqual(quiet.takeEvents(), []);
  const off = new BlockPool({ numBlocks: 2, blockSize: 2, enableCaching: false, enableKvCacheEvents: true });
  off.cacheFullBlocks(off.getNewBlocks(1), ['a'], [1, 2], 0, 1);
  assert.equal(off.getCachedBlock('a'), undefined);
});
