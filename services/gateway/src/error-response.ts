import type { ServiceError, ServiceErrorCode } from '@pdserve/protocol';
import { toServiceError } from './to-service-error.js';

/** OpenAI's error body. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const STATUS: Record<ServiceErrorCode, number> = {
  invalid_request: 400,
  context_length_exceeded: 400,
  model_not_found: 404,
  not_found: 404,
  unauthorized: 401,
  payload_too_large: 413,
  rate_limited: 429,
  overloaded: 429,
  unavailable: 503,
  timeout: 504,
  aborted: 503,
  internal: 500,
};

const TYPE: Record<ServiceErrorCode, string> = {
  invalid_request: 'invalid_request_error',
  context_length_exceeded: 'invalid_request_error',
  model_not_found: 'invalid_request_error',
  not_found: 'invalid_request_error',
  unauthorized: 'authentication_error',
  payload_too_large: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  overloaded: 'rate_limit_error',
  unavailable: 'server_error',
  timeout: 'server_error',
  aborted: 'server_error',
  internal: 'server_error',
};

/** The HTTP status of a ServiceError code (the one place codes become statuses). */
export function httpStatusOf(code: ServiceErrorCode): number {
  return STATUS[code];
}

/** The OpenAI error body of a ServiceError; internal errors say nothing about their cause. */
export function openAiErrorBody(error: ServiceError): OpenAiErrorBody {
  const message = error.code === 'internal' ? 'internal server error' : error.message;
  return { error: { message, type: TYPE[error.code], param: error.param ?? null, code: error.code } };
}

/**
 * The HTTP response for any failure: OpenAI's error body, the status of its ServiceError code, and
 * Retry-After (whole seconds) where the error says when to retry. `onInternal` sees the original
 * error of 500s (for the log).
 */
export function errorResponse(
  error: unknown,
  headers: Record<string, string>,
  onInternal: (error: ServiceError) => void,
): Response {
  const se = toServiceError(error);
  if (se.code === 'internal') onInternal(se);
  const h = new Headers({ ...headers, 'content-type': 'application/json' });
  if (se.retryAfterS !== undefined) h.set('retry-after', String(Math.max(1, Math.ceil(se.retryAfterS))));
  return new Response(JSON.stringify(openAiErrorBody(se)), { status: httpStatusOf(se.code), headers: h });
}
