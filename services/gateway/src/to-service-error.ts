import { InvalidRequestError, InvalidSamplingParamsError, RequestTooLargeError } from '@pdserve/engine';
import { ChatTemplateError } from '@pdserve/model';
import { ServiceError } from '@pdserve/protocol';

/**
 * Turns any failure into a ServiceError: ServiceErrors pass through, the engine's and the chat
 * template's named errors become client errors (naming the field where they know it), anything
 * else becomes 'internal' with the original kept as `cause` (never shown to clients).
 */
export function toServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  if (error instanceof InvalidSamplingParamsError) {
    return new ServiceError('invalid_request', error.message, { param: error.param, cause: error });
  }
  if (error instanceof RequestTooLargeError) return fromTooLarge(error);
  if (error instanceof InvalidRequestError) {
    return new ServiceError('invalid_request', error.message, { cause: error });
  }
  if (error instanceof ChatTemplateError) {
    return new ServiceError('invalid_request', error.message, { param: 'messages', cause: error });
  }
  return new ServiceError('internal', 'internal error', { cause: error });
}

function fromTooLarge(error: RequestTooLargeError): ServiceError {
  if (error.reason === 'maxModelLen') {
    return new ServiceError(
      'context_length_exceeded',
      `This model's maximum context length is ${error.limit} tokens, but the request needs ${error.needed}`,
      { param: 'max_tokens', cause: error },
    );
  }
  // The pool or the step budget can never hold it: the request is too large for this deployment.
  return new ServiceError('invalid_request', error.message, { cause: error });
}
