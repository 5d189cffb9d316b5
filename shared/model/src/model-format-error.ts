/** What is wrong with a model file, so callers can react without parsing messages. */
export type ModelFormatProblem =
  | 'io'
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-version'
  | 'unknown-architecture'
  | 'missing-tensor'
  | 'shape-mismatch'
  | 'unsupported-dtype'
  | 'header-too-large'
  | 'invalid'
  | 'unsupported';

/**
 * Thrown by every loader, writer and converter in this package when a file cannot be read or written
 * as the format requires. `path` names the file (or directory), `problem` the kind of fault.
 */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  readonly path: string;
  readonly problem: ModelFormatProblem;

  constructor(path: string, problem: ModelFormatProblem, message: string, options?: { cause?: unknown }) {
    super(
      `${path}: ${problem === 'io' || problem === 'invalid' ? '' : `${problem.replace(/-/g, ' ')}: `}${message}`,
      options,
    );
    this.path = path;
    this.problem = problem;
  }
}
