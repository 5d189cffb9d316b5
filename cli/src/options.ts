import { InvalidArgumentError } from 'commander';

/** commander parser for an integer option within [min, max]. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}], got "${value}"`);
    }
    return n;
  };
}

/** commander parser for a finite number within [min, max]. */
export function numberOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number in [${min}, ${max}], got "${value}"`);
    }
    return n;
  };
}

/** commander parser for one of a fixed set of strings. */
export function choiceOption<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!choices.includes(value as T)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got "${value}"`);
    }
    return value as T;
  };
}

/** commander parser for a comma-separated list of integers. */
export function intListOption(value: string): number[] {
  return value.split(',').map((part) => intOption(0)(part.trim()));
}
