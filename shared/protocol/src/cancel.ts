import { z } from 'zod';
import { defineMessage } from './message-codec.js';
import { wire } from './wire-schemas.js';

/**
 * Stop a request everywhere (client disconnect, abort): published by the gateway or router on
 * `subjects.cancel(requestId)`; every instance and agent holding the request frees what it holds.
 */
export interface Cancel {
  requestId: string;
  reason?: string;
}

export const cancelCodec = defineMessage<Cancel>(
  'Cancel',
  z.object({ requestId: wire.id(), reason: z.string().optional() }),
);
