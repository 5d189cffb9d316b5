import { defineServiceConfig, discoveryConfigSchema, natsConfigSchema } from '@pdserve/runtime';
import { telemetryConfigShape } from '@pdserve/telemetry';
import { z } from 'zod';

const int = (min: number) => z.number().int().min(min);

/**
 * The gateway's settings: defaults < JSON file (--config) < PDSERVE_* env < flags. With `nats`
 * set it serves the cluster (NatsBackend: only the tokenizer of `model` is loaded); without, it
 * runs `model` in this process (LocalBackend, the engine settings apply).
 */
export const gatewayServiceSchema = z
  .object({
    nats: z
      .array(z.string().min(1))
      .default([])
      .describe('NATS server URLs; none: run the model in this process'),
    natsClient: natsConfigSchema.omit({ servers: true }),
    model: z
      .string()
      .min(1)
      .default('models/stories260K/stories260K.bin')
      .describe('model file or directory'),
    tokenizer: z.string().min(1).optional().describe('llama2.c tokenizer .bin (default: beside the model)'),
    servedModelName: z.string().min(1).optional().describe('model name in requests (default: the file name)'),
    port: int(0).max(65535).default(8000).describe('HTTP port (0: any free port)'),
    host: z.string().min(1).default('127.0.0.1').describe('HTTP address to listen on'),
    apiKey: z
      .array(z.string().min(1))
      .default([])
      .describe('accepted API keys, comma-separated (none: open)'),
    maxBodyBytes: int(1).optional().describe('largest request body'),
    rateLimitRps: z.number().positive().optional().describe('requests per second per API key'),
    rateLimitBurst: int(1).optional().describe('rate limit burst'),
    maxModelLen: int(1).optional().describe('local mode: longest prompt + output'),
    numBlocks: int(1).optional().describe('local mode: KV blocks'),
    dtype: z.enum(['f32', 'bf16', 'q8_0']).optional().describe('local mode: weight dtype'),
    kvDtype: z.enum(['f32', 'bf16']).optional().describe('local mode: KV cache dtype'),
    maxNumSeqs: int(1).optional().describe('local mode: sequences per step'),
    cluster: z.object({
      routeTimeoutMs: int(1).default(2000).describe('router reply timeout'),
      submitTimeoutMs: int(1).default(5000).describe('instance submit timeout'),
      streamIdleTimeoutMs: int(1).default(10_000).describe('fail a silent token stream after'),
      retryAfterS: z.number().positive().default(1).describe('Retry-After when the cluster cannot serve'),
    }),
    discovery: discoveryConfigSchema,
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('log level'),
    otlpEndpoint: telemetryConfigShape.otlpEndpoint,
    logPrompts: telemetryConfigShape.logPrompts,
    slo: z.object({
      ttftMs: z.number().positive().optional().describe('TTFT target of requests without one (SLO metrics)'),
      tpotMs: z.number().positive().optional().describe('TPOT target of requests without one (SLO metrics)'),
    }),
  })
  .refine((c) => (c.rateLimitRps === undefined) === (c.rateLimitBurst === undefined), {
    message: 'rateLimitRps and rateLimitBurst go together',
    path: ['rateLimitBurst'],
  });

/** The gateway's validated settings. */
export type GatewayServiceConfig = z.output<typeof gatewayServiceSchema>;

/** The gateway's config loader. */
export const gatewayServiceConfig = defineServiceConfig('pdserve gateway', gatewayServiceSchema);
