import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError, type TokenBatch } from '@pdserve/protocol';
import { ReorderBuffer } from './reorder-buffer.js';

const batch = (seq: number): TokenBatch => ({
  requestId: 'r',
  seq,
  index: 0,
  tokenIds: [seq],
  text: `${seq}`,
});
const seqs = (batches: TokenBatch[]) => batches.map((b) => b.seq);

describe('ReorderBuffer', () => {
  it('releases in-order batches at once', () => {
    const buffer = new ReorderBuffer();
    assert.deepEqual(seqs(buffer.push(batch(0))), [0]);
    assert.deepEqual(seqs(buffer.push(batch(1))), [1]);
    assert.equal(buffer.nextSeq, 2);
    assert.equal(buffer.hasGap, false);
  });

  it('holds early batches until the gap fills, then releases the run', () => {
    const buffer = new ReorderBuffer();
    assert.deepEqual(seqs(buffer.push(batch(2))), []);
    assert.deepEqual(seqs(buffer.push(batch(1))), []);
    assert.equal(buffer.hasGap, true);
    assert.deepEqual(seqs(buffer.push(batch(0))), [0, 1, 2]);
    assert.equal(buffer.hasGap, false);
  });

  it('drops repeats, both released and held ones', () => {
    const buffer = new ReorderBuffer();
    buffer.push(batch(0));
    assert.deepEqual(buffer.push(batch(0)), []);
    buffer.push(batch(2));
    assert.deepEqual(buffer.push(batch(2)), []);
    assert.deepEqual(seqs(buffer.push(batch(1))), [1, 2]);
  });

  it('starts where a resumed stream continues', () => {
    const buffer = new ReorderBuffer(5);
    assert.deepEqual(buffer.push(batch(4)), []);
    assert.deepEqual(seqs(buffer.push(batch(5))), [5]);
  });

  it('refuses to hold without bound', () => {
    const buffer = new ReorderBuffer(0, 2);
    buffer.push(batch(1));
    buffer.push(batch(2));
    assert.throws(
      () => buffer.push(batch(3)),
      (e: unknown) => e instanceof ServiceError && e.code === 'internal',
    );
  });
});
