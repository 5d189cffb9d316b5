import type { Context } from 'hono';
import { chatPrompt } from './chat-prompt.js';
import { ChatRequestSchema } from './chat-request.js';
import { ChatView } from './chat-view.js';
import { checkContextLength } from './context-length.js';
import type { GatewayContext } from './gateway-context.js';
import type { GatewayEnv } from './gateway-env.js';
import { LogprobsFormatter } from './logprobs-format.js';
import { parseRequest } from './parse-request.js';
import { commonOptions } from './request-common.js';
import { samplingFromRequest } from './sampling-from-request.js';
import { serveGeneration } from './serve-generation.js';
import { lookupModel } from './served-model-lookup.js';

/**
 * POST /v1/chat/completions: validate, render the chat template, tokenize, check the context,
 * generate, answer or stream. Without max_tokens the reply may run to the end of the context.
 */
export function chatCompletionRoute(g: GatewayContext) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const r = parseRequest(ChatRequestSchema, await g.readBody(c));
    const model = lookupModel(g.backend, r.model);
    const common = commonOptions(r, c.req.raw.headers);
    const prompt = chatPrompt(r.messages, model, {
      ...(r.add_generation_prompt == null ? {} : { addGenerationPrompt: r.add_generation_prompt }),
      ...(r.chat_template_kwargs == null ? {} : { templateKwargs: r.chat_template_kwargs }),
    });
    const requested = r.max_completion_tokens ?? r.max_tokens ?? null;
    const maxTokensParam = r.max_completion_tokens == null ? 'max_tokens' : 'max_completion_tokens';
    const promptLen = prompt.tokenIds.length;
    const maxTokens = checkContextLength(promptLen, requested, model.maxModelLen, 'messages', maxTokensParam);
    const logprobs = r.logprobs ? (r.top_logprobs ?? 0) : null;
    const promptLogprobs = r.prompt_logprobs ?? null;
    const sampling = samplingFromRequest(r, { maxTokens, logprobs, promptLogprobs }, model.tokenizer);
    const id = `chatcmpl-${c.get('requestId')}`;
    const view = new ChatView({
      id,
      created: Math.floor(Date.now() / 1000),
      model: model.name,
      n: sampling.n ?? 1,
      stream: common.stream,
      logprobs: logprobs !== null,
      promptLogprobs: promptLogprobs !== null,
      includeUsage: common.includeUsage,
      formatter: new LogprobsFormatter(model.tokenizer),
    });
    const { stream: _s, includeUsage: _u, ...routing } = common;
    const spec = { requestId: id, model: model.name, prompts: [prompt], sampling, ...routing };
    return serveGeneration(g.generationCall(c), spec, view);
  };
}
