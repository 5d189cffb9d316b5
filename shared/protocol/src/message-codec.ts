import { decode, encode } from '@msgpack/msgpack';
import type { z } from 'zod';
import { PROTOCOL_VERSION } from './protocol-version.js';
import { ServiceError } from './service-error.js';

/**
 * Turns one message type into msgpack bytes and back. Every message travels as a msgpack map
 * holding its fields plus `v` (PROTOCOL_VERSION) and `t` (the message type); decode checks both
 * and the fields' types. Binary fields stay Uint8Array (msgpack bin; decoded ones are views into
 * the received buffer). Used by the runtime's typed publish/subscribe/request helpers.
 */
export interface MessageCodec<T> {
  /** The message type's name, sent as `t`. */
  readonly type: string;
  encode(message: T): Uint8Array;
  /**
   * The message in `data`. Throws ServiceError 'internal' when `data` is not msgpack, was written
   * by another protocol version, is another message type or has a field of the wrong type.
   */
  decode(data: Uint8Array): T;
}

function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(message)'}: ${issue.message}`)
    .join('; ');
}

function readEnvelope(type: string, data: Uint8Array): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = decode(data);
  } catch (cause) {
    throw new ServiceError('internal', `cannot decode a ${type} message: not valid msgpack`, { cause });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ServiceError('internal', `cannot decode a ${type} message: not a msgpack map`);
  }
  const envelope = raw as Record<string, unknown>;
  if (envelope.v !== PROTOCOL_VERSION) {
    throw new ServiceError(
      'internal',
      `protocol version mismatch decoding a ${type} message: the peer sent v=${String(envelope.v)}, ` +
        `this service speaks v=${PROTOCOL_VERSION}; run the same pdserve version on every service`,
    );
  }
  if (envelope.t !== type) {
    throw new ServiceError('internal', `expected a ${type} message, got ${String(envelope.t)}`);
  }
  return envelope;
}

/** The codec of one message type whose fields `schema` checks (its output type is the message). */
export function defineMessage<T>(type: string, schema: z.ZodType<T>): MessageCodec<T> {
  return {
    type,
    encode(message: T): Uint8Array {
      return encode({ ...(message as object), v: PROTOCOL_VERSION, t: type }, { ignoreUndefined: true });
    },
    decode(data: Uint8Array): T {
      const { v: _v, t: _t, ...fields } = readEnvelope(type, data);
      const parsed = schema.safeParse(fields);
      if (!parsed.success) {
        throw new ServiceError('internal', `malformed ${type} message: ${summarize(parsed.error)}`, {
          cause: parsed.error,
        });
      }
      return parsed.data;
    },
  };
}
