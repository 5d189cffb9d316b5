import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineError } from './errors.js';
import { Xoshiro128 } from './xoshiro128.js';

test('the same seed gives the same stream; different seeds differ', () => {
  const a = Xoshiro128.fromSeed(42);
  const b = Xoshiro128.fromSeed(42);
  const c = Xoshiro128.fromSeed(43);
  const sa = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(
    sa,
    Array.from({ length: 8 }, () => b.nextUint32()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 8 }, () => c.nextUint32()),
  );
  assert.notDeepEqual(Xoshiro128.fromSeed(-1).getState(), Xoshiro128.fromSeed(2 ** 32 - 1).getState());
});

test('state round-trips: a restored generator continues the same stream', () => {
  const a = Xoshiro128.fromSeed(7);
  for (let i = 0; i < 5; i++) a.nextFloat();
  const state = a.getState();
  const b = Xoshiro128.fromState(JSON.parse(JSON.stringify(state)));
  for (let i = 0; i < 20; i++) assert.equal(b.nextFloat(), a.nextFloat());
});

test('floats are uniform in [0, 1)', () => {
  const r = Xoshiro128.fromSeed(1);
  let sum = 0;
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 20000; i++) {
    const x = r.nextFloat();
    assert.ok(x >= 0 && x < 1);
    sum += x;
    buckets[Math.floor(x * 10)]++;
  }
  assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01);
  for (const b of buckets) assert.ok(b > 1800 && b < 2200, `bucket ${b}`);
});

test('invalid seeds and states are rejected', () => {
  assert.throws(() => Xoshiro128.fromSeed(1.5), EngineError);
  assert.throws(() => Xoshiro128.fromState([0, 0, 0, 0]), EngineError);
  assert.throws(() => Xoshiro128.fromState([1, 2, 3]), EngineError);
});
