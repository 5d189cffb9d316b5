import { ServiceError } from './service-error.js';

/** The longest escaped token accepted; NATS has no hard limit, but long subjects cost on every message. */
export const MAX_SUBJECT_TOKEN_LENGTH = 256;

const SAFE = /^[A-Za-z0-9_-]$/;
const ESCAPED = /^(?:[A-Za-z0-9_-]|=[0-9A-F]{2})+$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * One NATS subject token (also a valid NATS KV key token) for an arbitrary non-empty string:
 * letters, digits, `_` and `-` stay; every other UTF-8 byte becomes `=XX` (upper-case hex), so
 * `.`, `*`, `>`, spaces and `=` itself can never split or widen a subject, and the mapping is
 * reversible. Called only by `subjects` (and its KV key helpers); `what` names the value in errors.
 * Throws ServiceError 'invalid_request' for an empty or over-long value.
 */
export function escapeSubjectToken(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ServiceError('invalid_request', `${what} must be a non-empty string`, { param: what });
  }
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of encoder.encode(ch)) out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > MAX_SUBJECT_TOKEN_LENGTH) {
    throw new ServiceError(
      'invalid_request',
      `${what} is too long for a subject token (${out.length} > ${MAX_SUBJECT_TOKEN_LENGTH} characters escaped)`,
      { param: what },
    );
  }
  return out;
}

/** The string a token made by escapeSubjectToken stands for; ServiceError 'invalid_request' if it is not one. */
export function unescapeSubjectToken(token: string, what: string): string {
  if (!ESCAPED.test(token)) {
    throw new ServiceError(
      'invalid_request',
      `${what} ${JSON.stringify(token)} is not an escaped subject token`,
      {
        param: what,
      },
    );
  }
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '=') {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(token.charCodeAt(i));
    }
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch (cause) {
    throw new ServiceError('invalid_request', `${what} ${JSON.stringify(token)} escapes invalid UTF-8`, {
      param: what,
      cause,
    });
  }
}
