import { z } from 'zod';
import { MAX_LOGPROBS, samplingFields } from './sampling-fields.js';

const contentPart = z.object({ type: z.string(), text: z.string().nullish() }).check((ctx) => {
  const { type, text } = ctx.value;
  if (type !== 'text') {
    ctx.issues.push({
      code: 'custom',
      input: type,
      path: ['type'],
      message: `content parts of type '${type}' are not supported (only 'text')`,
    });
  } else if (typeof text !== 'string') {
    ctx.issues.push({ code: 'custom', input: text, path: ['text'], message: "a 'text' part needs text" });
  }
});

const content = z.union([z.string(), z.array(contentPart)]);
const name = z.string().nullish();

const message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content, name }),
  z.object({ role: z.literal('user'), content, name }),
  z.object({ role: z.literal('assistant'), content: content.nullish(), name }),
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string().nullish() }),
]);

/** The body of POST /v1/chat/completions (OpenAI's fields plus vLLM's extras). */
export const ChatRequestSchema = z
  .object({
    ...samplingFields,
    messages: z.array(message).min(1),
    max_tokens: z.number().int().min(1).nullish(),
    max_completion_tokens: z.number().int().min(1).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(MAX_LOGPROBS).nullish(),
    add_generation_prompt: z.boolean().nullish(),
    chat_template_kwargs: z.record(z.string(), z.unknown()).nullish(),
  })
  .check((ctx) => {
    if (ctx.value.top_logprobs != null && ctx.value.logprobs !== true) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value.top_logprobs,
        path: ['top_logprobs'],
        message: 'top_logprobs needs logprobs set to true',
      });
    }
  });

/** A validated chat completions request. */
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** One validated chat message. */
export type ChatRequestMessage = ChatRequest['messages'][number];
