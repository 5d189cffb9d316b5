import type { Context } from 'hono';
import { completionPrompts } from './completion-prompts.js';
import { CompletionRequestSchema } from './completion-request.js';
import { CompletionView } from './completion-view.js';
import { checkContextLength } from './context-length.js';
import type { GatewayContext } from './gateway-context.js';
import type { GatewayEnv } from './gateway-env.js';
import { LogprobsFormatter } from './logprobs-format.js';
import { parseRequest } from './parse-request.js';
import { commonOptions } from './request-common.js';
import { samplingFromRequest } from './sampling-from-request.js';
import { serveGeneration } from './serve-generation.js';
import { lookupModel } from './served-model-lookup.js';

/** vLLM's (and OpenAI's legacy) default max_tokens for completions. */
const DEFAULT_MAX_TOKENS = 16;

/** POST /v1/completions: validate, tokenize, check the context, generate, answer or stream. */
export function completionRoute(g: GatewayContext) {
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const r = parseRequest(CompletionRequestSchema, await g.readBody(c));
    const model = lookupModel(g.backend, r.model);
    const common = commonOptions(r, c.req.raw.headers);
    const prompts = completionPrompts(r.prompt, model.tokenizer, r.add_special_tokens ?? true);
    const maxTokens = r.max_tokens ?? DEFAULT_MAX_TOKENS;
    for (const p of prompts) checkContextLength(p.tokenIds.length, maxTokens, model.maxModelLen, 'prompt');
    const logprobs = r.logprobs ?? null;
    const echoLogprobs = r.echo && logprobs !== null ? logprobs : null;
    const promptLogprobs = maxOrNull(r.prompt_logprobs ?? null, echoLogprobs);
    const sampling = samplingFromRequest(r, { maxTokens, logprobs, promptLogprobs }, model.tokenizer);
    const id = `cmpl-${c.get('requestId')}`;
    const view = new CompletionView({
      id,
      created: Math.floor(Date.now() / 1000),
      model: model.name,
      n: sampling.n ?? 1,
      stream: common.stream,
      echo: r.echo ?? false,
      logprobs: logprobs !== null,
      promptLogprobs: r.prompt_logprobs != null,
      includeUsage: common.includeUsage,
      formatter: new LogprobsFormatter(model.tokenizer),
    });
    const { stream: _s, includeUsage: _u, ...routing } = common;
    return serveGeneration(
      g.generationCall(c),
      { requestId: id, model: model.name, prompts, sampling, ...routing },
      view,
    );
  };
}

function maxOrNull(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
