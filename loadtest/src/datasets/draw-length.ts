import type { SeededRandom } from '../random/seeded-random.js';

/**
 * A length drawn uniformly from [len * (1 - rangeRatio), len * (1 + rangeRatio)] (integers, both
 * ends included, at least 1); rangeRatio 0 gives exactly `len`. rangeRatio must lie in [0, 1).
 */
export function drawLength(rng: SeededRandom, len: number, rangeRatio: number): number {
  if (!(rangeRatio >= 0 && rangeRatio < 1)) {
    throw new RangeError(`range ratio must be in [0, 1), got ${rangeRatio}`);
  }
  const lo = Math.max(1, Math.floor(len * (1 - rangeRatio)));
  const hi = Math.max(lo, Math.ceil(len * (1 + rangeRatio)));
  return rng.int(lo, hi);
}
