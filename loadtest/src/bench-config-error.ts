/** A bad option or option combination, reported to the user without a stack trace. */
export class BenchConfigError extends Error {
  override readonly name = 'BenchConfigError';
}
