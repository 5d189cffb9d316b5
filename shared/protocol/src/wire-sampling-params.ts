import { z } from 'zod';
import { wire } from './wire-schemas.js';

/**
 * The engine's SamplingParamsInit as a plain object (camelCase, vLLM's meanings), as the gateway
 * built it from the OpenAI request. The protocol checks only types; the engine's
 * SamplingParams.create checks ranges and combinations when the instance accepts the request.
 * `logitBias` keys are token ids as strings (msgpack maps, like OpenAI's JSON).
 */
export interface WireSamplingParams {
  n?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  repetitionPenalty?: number;
  seed?: number | null;
  stop?: string | string[] | null;
  stopTokenIds?: number[] | null;
  includeStopStrInOutput?: boolean;
  minTokens?: number;
  maxTokens?: number | null;
  ignoreEos?: boolean;
  logitBias?: Record<string, number> | null;
  allowedTokenIds?: number[] | null;
  badWords?: number[][] | null;
  logprobs?: number | null;
  promptLogprobs?: number | null;
  outputKind?: 'cumulative' | 'delta' | 'finalOnly';
}

const optNumber = () => z.number().optional();
const optInt = () => z.number().int().optional();
const nullableInt = () => z.number().int().nullable().optional();

export const wireSamplingParamsSchema: z.ZodType<WireSamplingParams> = z.object({
  n: optInt(),
  temperature: optNumber(),
  topK: optInt(),
  topP: optNumber(),
  minP: optNumber(),
  presencePenalty: optNumber(),
  frequencyPenalty: optNumber(),
  repetitionPenalty: optNumber(),
  seed: nullableInt(),
  stop: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  stopTokenIds: wire.tokenIds().nullable().optional(),
  includeStopStrInOutput: z.boolean().optional(),
  minTokens: optInt(),
  maxTokens: nullableInt(),
  ignoreEos: z.boolean().optional(),
  logitBias: z.record(z.string(), z.number()).nullable().optional(),
  allowedTokenIds: wire.tokenIds().nullable().optional(),
  badWords: z.array(wire.tokenIds()).nullable().optional(),
  logprobs: nullableInt(),
  promptLogprobs: nullableInt(),
  outputKind: z.enum(['cumulative', 'delta', 'finalOnly']).optional(),
});
