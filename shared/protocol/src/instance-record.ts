import { z } from 'zod';
import { type Heartbeat, heartbeatSchema } from './heartbeat.js';
import { type InstanceInfo, instanceInfoSchema } from './instance-info.js';
import { defineMessage } from './message-codec.js';

/**
 * The value of an instance's key in INSTANCE_BUCKET: what it is and its latest heartbeat.
 * InstanceRegistry re-puts it on every beat (renewing the bucket's max_age); ClusterView reads it.
 */
export interface InstanceRecord {
  info: InstanceInfo;
  heartbeat: Heartbeat;
}

export const instanceRecordCodec = defineMessage<InstanceRecord>(
  'InstanceRecord',
  z.object({ info: instanceInfoSchema, heartbeat: heartbeatSchema }),
);
