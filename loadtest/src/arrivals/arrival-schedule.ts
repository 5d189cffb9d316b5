import { SeededRandom } from '../random/seeded-random.js';

/** How requests arrive: a rate (requests/s; Infinity sends all at once) and gamma burstiness. */
export interface ArrivalOptions {
  count: number;
  /** Mean arrivals per second; Infinity means every request at offset 0. */
  requestRate: number;
  /**
   * Shape of the gamma inter-arrival distribution (mean 1 / requestRate): 1 is a Poisson
   * process, below 1 burstier, above 1 more regular. Coefficient of variation = 1 / sqrt(shape).
   */
  burstiness: number;
  seed: number;
}

/**
 * Send offsets in milliseconds from the start of the run, one per request, non-decreasing, the
 * first at 0. Generated ahead of the run, so it can be tested without sending anything.
 */
export function arrivalSchedule(o: ArrivalOptions): number[] {
  if (!(o.requestRate > 0)) throw new RangeError(`request rate must be positive, got ${o.requestRate}`);
  if (!(o.burstiness > 0)) throw new RangeError(`burstiness must be positive, got ${o.burstiness}`);
  const offsets = new Array<number>(o.count).fill(0);
  if (o.requestRate === Number.POSITIVE_INFINITY) return offsets;
  // A stream of its own, so the schedule does not depend on how many draws the dataset took.
  const rng = new SeededRandom(o.seed ^ 0x5bd1e995);
  const scaleMs = 1000 / (o.requestRate * o.burstiness);
  for (let i = 1; i < o.count; i++) offsets[i] = offsets[i - 1] + rng.gamma(o.burstiness, scaleMs);
  return offsets;
}
