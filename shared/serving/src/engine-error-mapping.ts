import {
  InvalidRequestError,
  InvalidSamplingParamsError,
  KvCacheFullError,
  RequestTooLargeError,
} from '@pdserve/engine';
import { ServiceError } from '@pdserve/protocol';

/**
 * Any failure of an engine call as the ServiceError that crosses the service boundary: the
 * engine's named errors become client errors (naming the field where they know it), a prompt or
 * max_tokens over maxModelLen is 'context_length_exceeded', no room now for a transfer's blocks is
 * 'overloaded' (the gateway tries another instance), anything else is 'internal' with the
 * original as cause. Engine instances call it when a SubmitRequest is refused or a request fails.
 */
export function engineErrorToServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  if (error instanceof InvalidSamplingParamsError) {
    return new ServiceError('invalid_request', error.message, { param: error.param, cause: error });
  }
  if (error instanceof RequestTooLargeError) {
    const code = error.reason === 'maxModelLen' ? 'context_length_exceeded' : 'invalid_request';
    return new ServiceError(code, error.message, { param: 'max_tokens', cause: error });
  }
  if (error instanceof KvCacheFullError) {
    // No room now for a disaggregated prompt's blocks: another instance, or a later try, may have it.
    return new ServiceError('overloaded', error.message, { retryAfterS: 1, cause: error });
  }
  if (error instanceof InvalidRequestError) {
    return new ServiceError('invalid_request', error.message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ServiceError('internal', `engine failure: ${message}`, { cause: error });
}
