import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvCacheManager } from './kv-cache-manager.js';
import { Request } from './request.js';
import { SamplingParams } from './sampling-params.js';

const BS = 4;
const manager = (numBlocks = 8, enablePrefixCaching = true) =>
  new KvCacheManager({
    numBlocks,
    blockSize: BS,
    hashSeed: 'test',
    enablePrefixCaching,
    enableKvCacheEvents: true,
  });
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
let counter = 0;
const request = (prompt: number[], opts: { salt?: string; promptLogprobs?: number } = {}) =>
  new Request({
    requestId: `r${counter++}`,
    promptTokenIds: prompt,
    samplingParams: SamplingParams.create({ promptLogprobs: opts.promptLogprobs ?? null }),
    maxTokens: 8,
    eosTokenIds: [],
    cacheSalt: opts.salt ?? null,
  });

/** Schedules a request's whole prompt the way the Scheduler does. */
function admit(kv: KvCacheManager, r: Request) {
  const hit = kv.getComputedBlocks(r);
  const blocks = kv.allocateSlots(r, r.numTokens - hit.numComputedTokens, hit.blocks);
  assert.ok(blocks !== null);
  r.numComputedTokens = r.numTokens;
  return hit;
}

test('allocateSlots gives ceil(tokens / blockSize) blocks and grows by whole blocks', () => {
  const kv = manager();
  const r = request(range(0, 6));
  assert.equal(kv.allocateSlots(r, 6)?.length, 2);
  r.numComputedTokens = 6;
  r.appendOutputToken(50);
  assert.equal(kv.allocateSlots(r, 1)?.length, 0);
  r.numComputedTokens = 7;
  r.appendOutputToken(51);
  assert.equal(kv.allocateSlots(r, 1)?.length, 0);
  r.numComputedTokens = 8;
  r.appendOutputToken(52);
  assert.equal(kv.allocateSlots(r, 1)?.length, 1);
  assert.deepEqual(kv.getBlockIds(r.requestId), [0, 1, 2]);
  assert.equal(kv.numFreeBlocks, 5);
});

test('allocateSlots returns null and changes nothing when the pool is short', () => {
  const kv = manager(3);
  const a = request(range(0, 8));
  kv.allocateSlots(a, 8);
  const b = request(range(100, 8));
  assert.equal(kv.numBlocksToAllocate(b, 8), 2);
  assert.equal(kv.allocateSlots(b, 8), null);
  assert.deepEqual(kv.getBlockIds(b.requestId), []);
  assert.equal(kv.numFreeBlocks, 1);
});

test('getComputedBlocks finds the longest cached prefix but never the whole request', () => {
  const kv = manager();
  const a = request(range(0, 12));
  admit(kv, a);
  kv.free(a);
  // Same 12 tokens: 3 full cached blocks, but the last token must be recomputed -> 2 blocks.
  const same = request(range(0, 12));
  assert.equal(kv.getComputedBlocks(same).numComputedTokens, 8);
  // Shares the first block, then diverges.
  const partial = request([...range(0, 4), 99, ...range(5, 8)]);
  assert.equal(kv.getComputedBlocks(partial).numComputedTokens, 4);
  const longer = request(range(0, 14));
  const hit = kv.getComputedBlocks(longer);
  assert.equal(hit.numComputedTokens, 12);
  assert.deepEqual(
    hit.blocks.map((b) => b.blockId),
    [0, 1, 2],
  );
});

test('a prefix hit shares blocks by ref count; free releases them', () => {
  const kv = manager();
  const a = request(range(0, 12));
  admit(kv, a);
  const b = request([...range(0, 8), 40, 41, 42]);
  const hit = admit(kv, b);
  assert.equal(hit.numComputedTokens, 8);
  const shared = kv.blockPool.blocks.filter((blk) => blk.refCnt === 2).map((blk) => blk.blockId);
  assert.deepEqual(shared, [0, 1]);
  assert.deepEqual(kv.getBlockIds(b.requestId).slice(0, 2), [0, 1]);
  kv.free(a);
  kv.free(b);
  assert.equal(kv.numFreeBlocks, 8);
  assert.ok(kv.blockPool.blocks.every((blk) => blk.refCnt === 0));
  assert.equal(kv.numRequestsHoldingBlocks, 0);
});

test('a hit on free cached blocks counts them against the free pool', () => {
  const kv = manager(4);
  const a = request(range(0, 12));
  admit(kv, a);
  kv.free(a);
  const b = request(range(0, 16));
  const hit = kv.getComputedBlocks(b);
  assert.equal(hit.blocks.length, 3);
  // 3 revived + 1 new = all 4 free blocks.
  assert.equal(kv.numBlocksToAllocate(b, 4, hit.blocks), 4);
  assert.ok(kv.allocateSlots(b, 4, hit.blocks) !== null);
  assert.equal(kv.numFreeBlocks, 0);
});

test('cached free blocks are evicted (least recent first) when memory is needed', () => {
  const kv = manager(4);
  const a = request(range(0, 8));
  admit(kv, a);
  kv.free(a);
  kv.takeEvents();
  const b = request(range(100, 12));
  admit(kv, b);
  // 2 never-used blocks first, then a's tail block (freed first), a's head survives.
  assert.equal(kv.getComputedBlocks(request(range(0, 8))).numComputedTokens, 4);
  const removed = kv.takeEvents().filter((e) => e.type === 'BlockRemoved');
  assert.equal(removed.length, 1);
  assert.equal(removed[0].type === 'BlockRemoved' && removed[0].blockHashes[0], a.blockHashes[1]);
});

test('the cache salt isolates prefixes', () => {
  const kv = manager();
  admit(kv, request(range(0, 12), { salt: 'alice' }));
  assert.equal(kv.getComputedBlocks(request(range(0, 12), { salt: 'bob' })).numComputedTokens, 0);
  assert.equal(kv.getComputedBlocks(request(range(0, 12))).numComputedTokens, 0);
  assert.equal(kv.getComputedBlocks(request(range(0, 12), { salt: 'alice' })).numComputedTokens, 8);
});

test('requests wanting prompt logprobs and disabled caching get no hits', () => {
  const kv = manager();
  admit(kv, request(range(0, 12)));
  assert.equal(kv.getComputedBlocks(request(range(0, 12), { promptLogprobs: 1 })).numComputedTokens, 0);
  const off = manager(8, false);
  admit(off, request(range(0, 12)));
  assert.equal(off.getComputedBlocks(request(range(0, 12))).numComputedTokens, 0);
});

test('fork shares the parent full blocks and the hash chain', () => {
  const kv = manager();
  const parent = request(range(0, 10));
  admit(kv, parent);
  const child = parent.forkChild(1);
  kv.fork(parent, child, 2);
  assert.deepEqual(kv.getBlockIds(child.requestId), [0, 1]);
  assert.deepEqual(child.blockHashes, parent.blockHashes.slice(0, 2));
  assert.equal(kv.blockPool.blocks[0].refCnt, 2);
  assert.equal(kv.blockPool.blocks[2].refCnt, 1);
  kv.free(parent);
  kv.free(child);
  assert.equal(kv.numFreeBlocks, 8);
});

test('prefix cache stats count queried and hit tokens', () => {
  const kv = manager();
  kv.recordPrefixCacheQuery(12, 8);
  kv.recordPrefixCacheQuery(5, 0);
  assert.deepEqual(kv.prefixCacheStats, { requests: 2, queries: 17, hits: 8 });
});

test('uncacheBlockIds drops exactly those blocks from the prefix cache', () => {
  const kv = manager();
  const a = request(range(0, 12));
  kv.allocateSlots(a, 8);
  a.numComputedTokens = 8;
  kv.allocateSlots(a, 4);
  kv.uncacheBlockIds(kv.getBlockIds(a.requestId).slice(2));
  assert.equal(kv.getComputedBlocks(request(range(0, 13))).numComputedTokens, 8);
});
