import { z } from 'zod';

/**
 * The NATS settings every service has, to nest in its config schema as `nats` and spread into
 * NatsClient.connect({ ...config.nats, name }).
 */
export const natsConfigSchema = z.object({
  servers: z.array(z.string().min(1)).min(1).default(['nats://127.0.0.1:4222']).describe('NATS server URLs'),
  reconnectMinMs: z.number().int().positive().default(100).describe('first reconnect delay'),
  reconnectMaxMs: z.number().int().positive().default(2000).describe('longest reconnect delay'),
  pingIntervalMs: z.number().int().positive().default(10_000).describe('client ping interval'),
  maxPingOut: z.number().int().positive().default(3).describe('missed pings before reconnecting'),
  requestTimeoutMs: z.number().int().positive().default(5000).describe('default request timeout'),
  connectTimeoutMs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('give up the first connect after this long'),
});

/**
 * Discovery timing, to nest as `discovery`: instances re-put their record every heartbeatMs; the
 * bucket purges after ttlMs; views call an instance dead after deadAfterMs without a heartbeat.
 */
export const discoveryConfigSchema = z
  .object({
    heartbeatMs: z.number().int().positive().default(1000).describe('instance heartbeat interval'),
    ttlMs: z.number().int().positive().default(5000).describe('discovery bucket max_age'),
    deadAfterMs: z
      .number()
      .int()
      .positive()
      .default(3000)
      .describe('silence after which an instance is dead'),
  })
  .refine((d) => d.deadAfterMs > d.heartbeatMs, {
    message: 'deadAfterMs must exceed heartbeatMs',
    path: ['deadAfterMs'],
  });
