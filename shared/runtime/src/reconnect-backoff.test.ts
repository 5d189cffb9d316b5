import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReconnectBackoff } from './reconnect-backoff.js';

describe('ReconnectBackoff', () => {
  it('grows with the outage and caps at maxMs', () => {
    const backoff = new ReconnectBackoff({ minMs: 100, maxMs: 1000, jitter: 0 });
    assert.equal(backoff.next(10_000), 100, 'first try of an outage: minMs');
    assert.equal(backoff.next(10_100), 100);
    assert.equal(backoff.next(10_300), 300);
    assert.equal(backoff.next(10_700), 700);
    assert.equal(backoff.next(11_500), 1000);
    assert.equal(backoff.next(12_500), 1000);
  });

  it('starts over after a quiet (connected) period', () => {
    const backoff = new ReconnectBackoff({ minMs: 100, maxMs: 1000, jitter: 0 });
    backoff.next(0);
    assert.equal(backoff.next(900), 900);
    assert.equal(backoff.next(60_000), 100);
  });

  it('adds at most the jitter fraction, the same through one outage', () => {
    const backoff = new ReconnectBackoff({ minMs: 100, maxMs: 1000, jitter: 0.5 });
    const first = backoff.next(0);
    assert.ok(first >= 100 && first <= 150, `${first}`);
    const factor = first / 100;
    assert.ok(Math.abs(backoff.next(400) - 400 * factor) <= 2, 'same factor (up to rounding)');
  });

  it('rejects impossible bounds', () => {
    assert.throws(() => new ReconnectBackoff({ minMs: 0, maxMs: 10 }), RangeError);
    assert.throws(() => new ReconnectBackoff({ minMs: 10, maxMs: 5 }), RangeError);
  });
});
