import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockHasher } from './block-hasher.js';

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

test('hashes cover full blocks only and chain each block to its parent', () => {
  const h = new BlockHasher(4, 'model-a');
  const tokens = range(0, 10);
  const hashes = h.hashPrompt(tokens);
  assert.equal(hashes.length, 2);
  assert.match(hashes[0], /^[0-9a-f]{32}$/);
  assert.equal(hashes[0], h.hashBlock(null, tokens.slice(0, 4)));
  assert.equal(hashes[1], h.hashBlock(hashes[0], tokens.slice(4, 8)));
  // The same tokens in block 2 under a different first block hash differently.
  const other = h.hashPrompt([99, ...tokens.slice(1)]);
  assert.notEqual(other[0], hashes[0]);
  assert.notEqual(other[1], hashes[1]);
});

test('extending a chain equals hashing the whole sequence', () => {
  const h = new BlockHasher(4, 'm');
  const tokens = range(5, 13);
  const chain = h.extendChain([], tokens.slice(0, 6));
  h.extendChain(chain, tokens);
  assert.deepEqual(chain, h.hashPrompt(tokens));
});

test('the cache salt changes the first block and, through the chain, every later one', () => {
  const h = new BlockHasher(4, 'm');
  const tokens = range(0, 8);
  const plain = h.hashPrompt(tokens);
  const salted = h.hashPrompt(tokens, 'tenant-1');
  assert.notEqual(salted[0], plain[0]);
  assert.notEqual(salted[1], plain[1]);
  assert.deepEqual(h.hashPrompt(tokens, 'tenant-1'), salted);
  assert.notEqual(h.hashPrompt(tokens, 'tenant-2')[0], salted[0]);
  // Extra keys are length-prefixed: ['ab'] and ['a', 'b'] differ.
  assert.notEqual(h.hashBlock(null, range(0, 4), ['ab']), h.hashBlock(null, range(0, 4), ['a', 'b']));
});

test('the seed and the block size separate models', () => {
  const tokens = range(0, 8);
  assert.notEqual(
    new BlockHasher(4, 'a').hashPrompt(tokens)[0],
    new BlockHasher(4, 'b').hashPrompt(tokens)[0],
  );
  assert.notEqual(new BlockHasher(4, 'a').rootHash, new BlockHasher(8, 'a').rootHash);
});
