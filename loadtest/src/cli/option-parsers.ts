import { InvalidArgumentError } from 'commander';

/** Commander parsers that reject bad values with a message naming the expectation. */
export const parse = {
  positiveInt(value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
    return n;
  },
  nonNegativeInt(value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer >= 0');
    return n;
  },
  positive(value: string): number {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
    return n;
  },
  number(value: string): number {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
    return n;
  },
  /** A request rate: a positive number or 'inf'. */
  rate(value: string): number {
    if (value.trim().toLowerCase() === 'inf') return Number.POSITIVE_INFINITY;
    return parse.positive(value);
  },
  /** Comma-separated rates. */
  rates(value: string): number[] {
    return value.split(',').map((v) => parse.rate(v));
  },
  /** Comma-separated percentiles in (0, 100]. */
  percentiles(value: string): number[] {
    return value.split(',').map((v) => {
      const p = Number(v);
      if (!(p > 0 && p <= 100)) throw new InvalidArgumentError(`percentile '${v}' must be in (0, 100]`);
      return p;
    });
  },
};

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
