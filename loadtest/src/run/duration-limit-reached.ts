/** The abort reason when --duration-limit ends a run: in-flight requests fail with it. */
export class DurationLimitReached extends Error {
  override readonly name = 'DurationLimitReached';

  constructor(readonly limitS: number) {
    super(`duration limit of ${limitS} s reached`);
  }
}
