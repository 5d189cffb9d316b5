import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrivalSchedule } from './arrival-schedule.js';

function gaps(offsets: number[]): number[] {
  return offsets.slice(1).map((v, i) => v - offsets[i]);
}

function meanAndCv(xs: number[]): [number, number] {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
  return [mean, Math.sqrt(variance) / mean];
}

test('Poisson arrivals: exponential gaps with mean 1/rate (CV 1)', () => {
  const offsets = arrivalSchedule({ count: 20001, requestRate: 4, burstiness: 1, seed: 7 });
  assert.equal(offsets[0], 0);
  const [mean, cv] = meanAndCv(gaps(offsets));
  // 20000 exponential gaps: the sample mean's standard error is 0.7%; allow 3%.
  assert.ok(Math.abs(mean - 250) < 250 * 0.03, `mean gap ${mean} ms`);
  assert.ok(Math.abs(cv - 1) < 0.05, `cv ${cv}`);
  // Exponential: P(gap > mean) = e^-1.
  const above = gaps(offsets).filter((g) => g > 250).length / 20000;
  assert.ok(Math.abs(above - Math.exp(-1)) < 0.02, `P(gap > mean) ${above}`);
});

test('gamma burstiness keeps the mean rate; CV is 1/sqrt(burstiness)', () => {
  for (const b of [0.25, 4]) {
    const [mean, cv] = meanAndCv(
      gaps(arrivalSchedule({ count: 20001, requestRate: 10, burstiness: b, seed: 3 })),
    );
    assert.ok(Math.abs(mean - 100) < 100 * 0.05, `burstiness ${b}: mean gap ${mean} ms`);
    assert.ok(Math.abs(cv - 1 / Math.sqrt(b)) < 0.08 / Math.sqrt(b), `burstiness ${b}: cv ${cv}`);
  }
});

test("rate 'inf' sends everything at offset 0", () => {
  assert.deepEqual(
    arrivalSchedule({ count: 5, requestRate: Infinity, burstiness: 1, seed: 0 }),
    [0, 0, 0, 0, 0],
  );
});

test('schedules are non-decreasing, reproducible by seed and differ across seeds', () => {
  const a = arrivalSchedule({ count: 100, requestRate: 2, burstiness: 0.5, seed: 11 });
  assert.deepEqual(a, arrivalSchedule({ count: 100, requestRate: 2, burstiness: 0.5, seed: 11 }));
  assert.notDeepEqual(a, arrivalSchedule({ count: 100, requestRate: 2, burstiness: 0.5, seed: 12 }));
  assert.ok(gaps(a).every((g) => g >= 0));
});

test('bad rates and burstiness are refused', () => {
  assert.throws(() => arrivalSchedule({ count: 3, requestRate: 0, burstiness: 1, seed: 0 }), RangeError);
  assert.throws(() => arrivalSchedule({ count: 3, requestRate: 1, burstiness: -1, seed: 0 }), RangeError);
});
