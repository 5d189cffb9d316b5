import { z } from 'zod';
import { type LoadReport, loadReportSchema } from './load-report.js';
import { defineMessage } from './message-codec.js';
import { wire } from './wire-schemas.js';

/**
 * One liveness beat of an instance with its latest load, sent by InstanceRegistry every heartbeat
 * interval (inside its InstanceRecord). `seq` counts beats of this epoch from 0.
 */
export interface Heartbeat {
  instanceId: string;
  model: string;
  epoch: number;
  seq: number;
  sentAtMs: number;
  load: LoadReport;
}

export const heartbeatSchema: z.ZodType<Heartbeat> = z.object({
  instanceId: wire.id(),
  model: wire.id(),
  epoch: wire.count(),
  seq: wire.count(),
  sentAtMs: wire.count(),
  load: loadReportSchema,
});

export const heartbeatCodec = defineMessage('Heartbeat', heartbeatSchema);
