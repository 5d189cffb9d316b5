import type { BenchRequest } from '../datasets/bench-request.js';
import type { ClientOptions } from './client-options.js';

/**
 * The JSON body for one streamed request: the prompt (or one user message for chat), max_tokens
 * from the drawn output length, usage in the stream, and the vLLM extras the options ask for.
 */
export function requestBody(o: ClientOptions, r: BenchRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: o.model,
    stream: true,
    stream_options: { include_usage: true, ...(o.continuousUsage ? { continuous_usage_stats: true } : {}) },
    temperature: o.temperature,
    max_tokens: r.outputLen,
  };
  if (o.endpoint === '/v1/chat/completions') {
    body.messages = [{ role: 'user', content: r.prompt }];
    body.max_completion_tokens = r.outputLen;
  } else {
    body.prompt = r.prompt;
  }
  if (o.ignoreEos) body.ignore_eos = true;
  if (o.setMinTokens) body.min_tokens = r.outputLen;
  return body;
}
