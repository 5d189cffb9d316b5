import { defineServiceConfig, discoveryConfigSchema, natsConfigSchema } from '@pdserve/runtime';
import { z } from 'zod';

const positive = () => z.number().positive();

/** The router service's settings: defaults < JSON file < PDSERVE_* env < flags. */
export const routerServiceSchema = z.object({
  nats: z.array(z.string().min(1)).min(1).default(['nats://127.0.0.1:4222']).describe('NATS server URLs'),
  natsClient: natsConfigSchema.omit({ servers: true }),
  discovery: discoveryConfigSchema,
  policy: z.object({
    longPromptTokens: positive()
      .default(256)
      .describe('uncached prompt tokens from which a prefill/decode pair is used'),
    tokensPerQueuedRequest: positive()
      .default(256)
      .describe('uncached tokens weighing as one queued request'),
    kvUsageWeight: z
      .number()
      .nonnegative()
      .default(8)
      .describe('weight of a full KV cache, in queued requests'),
    maxQueueLength: positive().default(256).describe('waiting requests at which an instance takes no more'),
    retryAfterS: positive().default(1).describe('Retry-After of rejections (seconds)'),
  }),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('log level'),
});

/** The router's validated settings. */
export type RouterServiceConfig = z.output<typeof routerServiceSchema>;

/** The router service's config loader. */
export const routerServiceConfig = defineServiceConfig('pdserve router service', routerServiceSchema);
