import { defineMessage, type MessageCodec } from './message-codec.js';
import type { ServiceErrorWire } from './service-error.js';
import { wire } from './wire-schemas.js';

/**
 * A ServiceError on the wire (its toWire() form): the body of an error reply to any request, sent
 * by the runtime's request handlers and turned back into a ServiceError by the requester.
 */
export const serviceErrorCodec: MessageCodec<ServiceErrorWire> = defineMessage(
  'ServiceError',
  wire.serviceError(),
);
