import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limiter.js';

test('a bucket allows its burst, then one request per refill interval', () => {
  let now = 1000;
  const limiter = new RateLimiter({ requestsPerSecond: 4, burst: 3 }, () => now);
  assert.deepEqual(
    [0, 0, 0].map(() => limiter.take('k')),
    [0, 0, 0],
  );
  assert.equal(limiter.take('k'), 0.25);
  now += 100;
  assert.ok(Math.abs(limiter.take('k') - 0.15) < 1e-9);
  now += 150;
  assert.equal(limiter.take('k'), 0);
  assert.equal(limiter.take('other'), 0);
  now += 60_000;
  assert.deepEqual(
    [0, 0, 0, 0].map(() => limiter.take('k')),
    [0, 0, 0, 0.25],
    'refill stops at the burst',
  );
});

test('invalid settings are refused', () => {
  assert.throws(() => new RateLimiter({ requestsPerSecond: 0, burst: 1 }), RangeError);
  assert.throws(() => new RateLimiter({ requestsPerSecond: 1, burst: 0.5 }), RangeError);
});
