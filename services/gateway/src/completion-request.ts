import { z } from 'zod';
import { MAX_LOGPROBS, samplingFields } from './sampling-fields.js';

const tokenIds = z.array(z.number().int().min(0)).min(1);

/** The body of POST /v1/completions (OpenAI's legacy completions plus vLLM's extra fields). */
export const CompletionRequestSchema = z.object({
  ...samplingFields,
  prompt: z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)]),
  max_tokens: z.number().int().min(1).nullish(),
  logprobs: z.number().int().min(0).max(MAX_LOGPROBS).nullish(),
  echo: z.boolean().nullish(),
  add_special_tokens: z.boolean().nullish(),
});

/** A validated completions request. */
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;
