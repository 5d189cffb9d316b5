import { defineServiceConfig, discoveryConfigSchema, natsConfigSchema } from '@pdserve/runtime';
import { telemetryConfigShape } from '@pdserve/telemetry';
import { z } from 'zod';

const int = (min: number) => z.number().int().min(min);

/** The engine settings of an instance (vLLM's names in camelCase); absent: the engine's defaults. */
const engineSchema = z.object({
  maxModelLen: int(1).optional().describe('longest prompt + output (default: the model maximum)'),
  numBlocks: int(1).optional().describe('KV blocks in the pool (default: from kvCacheBytes)'),
  kvCacheBytes: int(1).optional().describe('bytes of KV cache when numBlocks is not set'),
  maxNumSeqs: int(1).optional().describe('sequences per step'),
  maxNumBatchedTokens: int(1).optional().describe('token budget per step'),
  dtype: z.enum(['f32', 'bf16', 'q8_0']).optional().describe('weight dtype in memory'),
  kvDtype: z.enum(['f32', 'bf16']).optional().describe('KV cache dtype'),
  enablePrefixCaching: z.boolean().optional().describe('reuse cached prompt blocks'),
  policy: z.enum(['fcfs', 'priority']).optional().describe('scheduling policy'),
});

/** The prefill and decode services' settings: defaults < JSON file < PDSERVE_* env < flags. */
export const engineServiceSchema = z.object({
  nats: z.array(z.string().min(1)).min(1).default(['nats://127.0.0.1:4222']).describe('NATS server URLs'),
  natsClient: natsConfigSchema.omit({ servers: true }),
  model: z.string().min(1).default('models/stories260K/stories260K.bin').describe('model file or directory'),
  tokenizer: z.string().min(1).optional().describe('llama2.c tokenizer .bin (default: beside the model)'),
  servedModelName: z.string().min(1).optional().describe('model name in requests (default: the file name)'),
  role: z
    .enum(['prefill', 'decode', 'both'])
    .optional()
    .describe("the instance's role (default: the service's; 'both' = colocated)"),
  instanceId: z.string().min(1).optional().describe('unique instance id (default: role-host-pid)'),
  engine: engineSchema,
  kvConnector: z.object({
    agentId: z
      .string()
      .min(1)
      .optional()
      .describe('kv-connector agent on this host (unset: no disaggregated tasks)'),
    leaseMs: int(1).optional().describe('attachment lease at the agent'),
    recvTimeoutMs: int(1).optional().describe("decode side: wait this long for a prompt's KV"),
    sendTimeoutMs: int(1).optional().describe('prefill side: wait this long for a transfer'),
  }),
  discovery: discoveryConfigSchema,
  stream: z.object({
    keepaliveMs: int(0).default(1000).describe('token stream keepalive interval (0: none)'),
    lingerMs: int(0).default(10_000).describe('how long a finished stream answers replays'),
  }),
  debug: z.object({
    stepDelayMs: int(0).default(0).describe('sleep before each model step (tests)'),
  }),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('log level'),
  ...telemetryConfigShape,
});

/** A prefill or decode service's validated settings. */
export type EngineServiceConfig = z.output<typeof engineServiceSchema>;

/** The config loader of the engine service in `role` (its --help and error messages name it). */
export function engineServiceConfig(role: 'prefill' | 'decode' | 'both') {
  return defineServiceConfig(`pdserve ${role} service`, engineServiceSchema);
}
