/**
 * Every failure that crosses a service boundary has one of these codes. Services throw (and send
 * over NATS) a ServiceError; only the gateway maps codes to HTTP statuses.
 */
export type ServiceErrorCode =
  | 'invalid_request' // a field is missing, of the wrong type or out of range
  | 'context_length_exceeded' // prompt (+ max_tokens) longer than the model's context
  | 'model_not_found'
  | 'not_found' // unknown route or resource
  | 'unauthorized' // missing or wrong API key
  | 'payload_too_large'
  | 'rate_limited' // this client sends too much: retry after retryAfterS
  | 'overloaded' // the cluster cannot meet the request's targets now: retry after retryAfterS
  | 'unavailable' // no instance can serve the model (none registered, all dead)
  | 'timeout'
  | 'aborted' // cancelled by the client or an operator
  | 'internal';

// A Record so the compiler insists every code is listed, and only those.
const CODE_SET: Record<ServiceErrorCode, true> = {
  invalid_request: true,
  context_length_exceeded: true,
  model_not_found: true,
  not_found: true,
  unauthorized: true,
  payload_too_large: true,
  rate_limited: true,
  overloaded: true,
  unavailable: true,
  timeout: true,
  aborted: true,
  internal: true,
};

/** Every ServiceErrorCode, for checking a code that arrived over the wire. */
export const SERVICE_ERROR_CODES = Object.keys(CODE_SET) as readonly ServiceErrorCode[];

export interface ServiceErrorInit {
  /** The request field at fault (OpenAI's `param`), when there is one. */
  param?: string;
  /** Seconds after which a retry may succeed (rate_limited, overloaded, unavailable). */
  retryAfterS?: number;
  cause?: unknown;
}

/** The plain object a ServiceError travels as (no stack, no cause). */
export interface ServiceErrorWire {
  code: ServiceErrorCode;
  message: string;
  param?: string;
  retryAfterS?: number;
}

/** A failure with a typed code, safe to send to another service or (via the gateway) a client. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly code: ServiceErrorCode;
  readonly param: string | undefined;
  readonly retryAfterS: number | undefined;

  constructor(code: ServiceErrorCode, message: string, init: ServiceErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.param = init.param;
    this.retryAfterS = init.retryAfterS;
  }

  /** The plain object sent over the wire (no stack, no cause). */
  toWire(): ServiceErrorWire {
    return {
      code: this.code,
      message: this.message,
      ...(this.param === undefined ? {} : { param: this.param }),
      ...(this.retryAfterS === undefined ? {} : { retryAfterS: this.retryAfterS }),
    };
  }

  static fromWire(w: ServiceErrorWire): ServiceError {
    return new ServiceError(w.code, w.message, {
      ...(w.param === undefined ? {} : { param: w.param }),
      ...(w.retryAfterS === undefined ? {} : { retryAfterS: w.retryAfterS }),
    });
  }

  /**
   * `err` itself when it is a ServiceError, else a ServiceError with `code` that keeps `err` as
   * its cause. Services call it where any failure must leave as a ServiceError (request handlers).
   */
  static from(err: unknown, code: ServiceErrorCode = 'internal'): ServiceError {
    if (err instanceof ServiceError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new ServiceError(code, message, { cause: err });
  }
}

/** True when `code` is one of the ServiceErrorCodes (for values read from the wire). */
export function isServiceErrorCode(code: unknown): code is ServiceErrorCode {
  return typeof code === 'string' && Object.hasOwn(CODE_SET, code);
}
