import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KvEventBatch, WireKvEvent } from '@pdserve/protocol';
import { PrefixIndex } from './prefix-index.js';

const stored = (...blockHashes: string[]): WireKvEvent => ({
  type: 'BlockStored',
  blockHashes,
  parentBlockHash: null,
  numTokens: 16 * blockHashes.length,
});
const removed = (...blockHashes: string[]): WireKvEvent => ({ type: 'BlockRemoved', blockHashes });
const batch = (seq: number, events: WireKvEvent[], epoch = 1): KvEventBatch => ({
  instanceId: 'i',
  epoch,
  seq,
  events,
});

describe('PrefixIndex', () => {
  it('follows stored, removed and cleared events in order', () => {
    const index = new PrefixIndex();
    assert.equal(index.apply(batch(0, [stored('a', 'b', 'c')])), 'applied');
    assert.equal(index.apply(batch(1, [removed('b')])), 'applied');
    assert.deepEqual([...index.blocks].sort(), ['a', 'c']);
    index.apply(batch(2, [{ type: 'AllBlocksCleared' }, stored('d')]));
    assert.deepEqual([...index.blocks], ['d']);
    assert.equal(index.resyncs, 0);
  });

  it('ignores repeated and older batches', () => {
    const index = new PrefixIndex();
    index.apply(batch(0, [stored('a')]));
    index.apply(batch(1, [removed('a')]));
    assert.equal(index.apply(batch(0, [stored('a')])), 'duplicate');
    assert.equal(index.blocks.size, 0);
  });

  it('starts from the first batch it sees (a router that joins late)', () => {
    const index = new PrefixIndex();
    assert.equal(index.apply(batch(41, [stored('x')])), 'applied');
    assert.equal(index.apply(batch(42, [stored('y')])), 'applied');
    assert.equal(index.blocks.size, 2);
  });

  it('resyncs on a gap: forgets what it knew, then applies the batch', () => {
    const index = new PrefixIndex();
    index.apply(batch(0, [stored('a', 'b')]));
    assert.equal(index.apply(batch(2, [stored('c')])), 'resynced');
    assert.deepEqual([...index.blocks], ['c']);
    assert.equal(index.resyncs, 1);
    assert.equal(index.apply(batch(3, [stored('d')])), 'applied');
  });

  it('resyncs on a new epoch (the instance restarted) and ignores the old epoch afterwards', () => {
    const index = new PrefixIndex();
    index.apply(batch(5, [stored('a')], 1));
    assert.equal(index.apply(batch(0, [stored('b')], 2)), 'resynced');
    assert.deepEqual([...index.blocks], ['b']);
    assert.equal(index.apply(batch(6, [stored('a')], 1)), 'duplicate');
    assert.deepEqual([...index.blocks], ['b']);
  });
});
