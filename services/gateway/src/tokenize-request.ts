import { z } from 'zod';
import { ChatRequestSchema } from './chat-request.js';

const model = z.string().min(1).nullish();

/** The body of POST /tokenize (vLLM's shapes): a prompt, or chat messages rendered with the template. */
export const TokenizeRequestSchema = z.union([
  z.object({
    model,
    prompt: z.string(),
    add_special_tokens: z.boolean().nullish(),
    return_token_strs: z.boolean().nullish(),
  }),
  z.object({
    model,
    messages: ChatRequestSchema.shape.messages,
    add_generation_prompt: z.boolean().nullish(),
    add_special_tokens: z.boolean().nullish(),
    return_token_strs: z.boolean().nullish(),
    chat_template_kwargs: z.record(z.string(), z.unknown()).nullish(),
  }),
]);

/** A validated /tokenize request. */
export type TokenizeRequest = z.infer<typeof TokenizeRequestSchema>;

/** The body of POST /detokenize. */
export const DetokenizeRequestSchema = z.object({ model, tokens: z.array(z.number().int().min(0)) });
