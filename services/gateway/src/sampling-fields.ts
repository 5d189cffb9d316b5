import { z } from 'zod';

/** The most top logprobs a request may ask for (vLLM's default max_logprobs). */
export const MAX_LOGPROBS = 20;

const tokenId = z.number().int().min(0);
const penalty = z.number().min(-2).max(2);

const responseFormat = z.object({ type: z.string() }).check((ctx) => {
  const type = ctx.value.type;
  if (type === 'text') return;
  const known = ['json_object', 'json_schema', 'structural_tag'].includes(type);
  ctx.issues.push({
    code: 'custom',
    input: type,
    path: ['type'],
    message: known
      ? `response_format type '${type}' is not supported yet (guided decoding is not available)`
      : `unknown response_format type '${type}'`,
  });
});

const sloHints = z.object({
  ttft_ms: z.number().positive().nullish(),
  tpot_ms: z.number().positive().nullish(),
});

/**
 * The request fields that completions and chat completions share: OpenAI's sampling fields plus
 * vLLM's extras, each with its range. Every field may be absent or null (OpenAI clients send nulls).
 * Token ids are only checked for sign here; the vocabulary bound is checked against the model.
 */
export const samplingFields = {
  model: z.string().min(1).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  temperature: z.number().min(0).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().min(-1).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  presence_penalty: penalty.nullish(),
  frequency_penalty: penalty.nullish(),
  repetition_penalty: z.number().gt(0).max(100).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(64)]).nullish(),
  stop_token_ids: z.array(tokenId).nullish(),
  include_stop_str_in_output: z.boolean().nullish(),
  min_tokens: z.number().int().min(0).nullish(),
  ignore_eos: z.boolean().nullish(),
  logit_bias: z
    .record(z.string().regex(/^\d+$/, 'keys must be token ids'), z.number().min(-100).max(100))
    .nullish(),
  allowed_token_ids: z.array(tokenId).min(1).nullish(),
  bad_words: z.array(z.string().min(1)).nullish(),
  prompt_logprobs: z.number().int().min(0).max(MAX_LOGPROBS).nullish(),
  user: z.string().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  response_format: responseFormat.nullish(),
  priority: z.number().int().nullish(),
  cache_salt: z.string().min(1).nullish(),
  slo: sloHints.nullish(),
};
