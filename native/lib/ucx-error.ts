/** Why a UCX operation failed. */
export type UcxErrorCode =
  /** The peer died or became unreachable (UCX peer error handling fired, or a transport error). */
  | 'PEER_GONE'
  /** The operation's time bound passed. */
  | 'TIMEOUT'
  /** A memory descriptor could not be unpacked on this endpoint, or a range falls outside it. */
  | 'RKEY_MISMATCH'
  /** The operation was cancelled, or the worker / endpoint was closed under it. */
  | 'CANCELED'
  /** Any other UCX failure. */
  | 'IO';

const CODES: ReadonlySet<string> = new Set(['PEER_GONE', 'TIMEOUT', 'RKEY_MISMATCH', 'CANCELED', 'IO']);

/** A failed UCX operation; `code` says why, `cause` holds the native error. */
export class UcxError extends Error {
  override readonly name = 'UcxError';
  constructor(
    readonly code: UcxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Turns a native rejection (an Error with a `code`) into a UcxError; other errors pass through. */
export function toUcxError(e: unknown): unknown {
  if (e instanceof UcxError || !(e instanceof Error)) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || !CODES.has(code)) return e;
  return new UcxError(code as UcxErrorCode, e.message, { cause: e });
}

/** Awaits a native promise, rethrowing its rejection as a UcxError. */
export async function ucxCall<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw toUcxError(e);
  }
}

/** Runs a native call that may throw synchronously (closed worker) as a UcxError. */
export function ucxSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toUcxError(e);
  }
}

/** Starts a native operation: its result as a Promise, a synchronous failure as a rejection. */
export function ucxStart<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return ucxCall(fn());
  } catch (e) {
    return Promise.reject(toUcxError(e));
  }
}
