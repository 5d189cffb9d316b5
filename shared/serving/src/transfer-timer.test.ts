import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransferTimer } from './transfer-timer.js';

describe('TransferTimer', () => {
  const bytesOf = (n: number) => Math.ceil(n / 16) * 1000;

  it('measures whole blocks of the prompt from the hand-over to the commit', () => {
    const t = new TransferTimer(bytesOf);
    t.expect('r', 40); // 3 blocks
    t.started('r', 100);
    t.expect('s', 16);
    t.started('s', 110);
    assert.equal(t.bytesInFlight, 4000);
    assert.deepEqual(t.finished('r', true, 125), { bytes: 3000, ms: 25 });
    assert.equal(t.bytesInFlight, 1000);
    assert.equal(t.finished('r', true, 130), null, 'counted once');
  });

  it('ignores failed transfers and requests it was not told about', () => {
    const t = new TransferTimer(bytesOf);
    t.expect('r', 16);
    t.started('r', 0);
    assert.equal(t.finished('r', false, 10), null);
    t.started('unknown', 0);
    assert.equal(t.finished('unknown', true, 10), null);
  });
});
