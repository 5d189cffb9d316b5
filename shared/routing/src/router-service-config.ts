import { defineServiceConfig, discoveryConfigSchema, natsConfigSchema } from '@pdserve/runtime';
import { z } from 'zod';
import { DEFAULT_COST_MODEL_PARAMS as P } from './cost-model-params.js';

const positive = () => z.number().positive();

/** The policies a router can run (`--policy`). */
export const ROUTING_POLICIES = ['heuristic', 'slo', 'round-robin'] as const;

/** The router service's settings: defaults < JSON file < PDSERVE_* env < flags. */
export const routerServiceSchema = z.object({
  nats: z.array(z.string().min(1)).min(1).default(['nats://127.0.0.1:4222']).describe('NATS server URLs'),
  natsClient: natsConfigSchema.omit({ servers: true }),
  discovery: discoveryConfigSchema,
  policy: z
    .enum(ROUTING_POLICIES)
    .default('heuristic')
    .describe('heuristic (fixed disaggregation rule), slo (SLO-aware with admission control), round-robin'),
  retryAfterS: positive().default(1).describe('Retry-After of rejections (seconds; the least, for slo)'),
  heuristic: z.object({
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
  }),
  slo: z.object({
    defaultTtftMs: positive().default(2000).describe('TTFT target of requests without one (ms)'),
    defaultTpotMs: positive().default(100).describe('TPOT target of requests without one (ms)'),
    ttftPlanFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(0.8)
      .describe('share of the TTFT target planned to (margin)'),
    tpotPlanFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(0.9)
      .describe('share of TPOT targets planned to (margin)'),
    maxQueueMs: z
      .number()
      .nonnegative()
      .default(1000)
      .describe('longest wait at the router for capacity (ms)'),
    queueFraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('... and at most this share of the TTFT target'),
    priorPrefillTokensPerS: positive()
      .default(P.priorPrefillTokensPerS)
      .describe('prefill tok/s until measured'),
    priorDecodeStepMs: positive()
      .default(P.priorDecodeStepMs)
      .describe('decode step ms at batch 0 until measured'),
    priorDecodeStepMsPerSeq: z
      .number()
      .nonnegative()
      .default(P.priorDecodeStepMsPerSeq)
      .describe('decode step ms per sequence until measured'),
    defaultTransferBytesPerS: positive()
      .default(P.defaultTransferBytesPerS)
      .describe('KV transfer bytes/s until the prefill instance measured its transfers'),
    submitOverheadMs: z
      .number()
      .nonnegative()
      .default(P.submitOverheadMs)
      .describe('latency of one submit (ms)'),
    defaultOutputTokens: positive()
      .default(P.defaultOutputTokens)
      .describe('output tokens assumed without max_tokens'),
    pendingGraceMs: z
      .number()
      .nonnegative()
      .default(P.pendingGraceMs)
      .describe('a placement counts as pending until a heartbeat seen this long after it (ms)'),
  }),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('log level'),
});

/** The router's validated settings. */
export type RouterServiceConfig = z.output<typeof routerServiceSchema>;

/** The router service's config loader. */
export const routerServiceConfig = defineServiceConfig('pdserve router service', routerServiceSchema);
