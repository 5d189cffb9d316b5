import { ServiceError } from '@pdserve/protocol';
import type { Hono } from 'hono';
import { chatPrompt } from './chat-prompt.js';
import type { GatewayContext } from './gateway-context.js';
import type { GatewayEnv } from './gateway-env.js';
import { parseRequest } from './parse-request.js';
import { lookupModel } from './served-model-lookup.js';
import { DetokenizeRequestSchema, TokenizeRequestSchema } from './tokenize-request.js';

/**
 * POST /tokenize and POST /detokenize in vLLM's shapes: {count, max_model_len, tokens, token_strs?}
 * and {prompt}. A text prompt gets BOS unless add_special_tokens is false; chat messages are
 * rendered with the chat template first, as /v1/chat/completions would.
 */
export function registerTokenizeRoutes(app: Hono<GatewayEnv>, g: GatewayContext): void {
  app.post('/tokenize', async (c) => {
    const r = parseRequest(TokenizeRequestSchema, await g.readBody(c));
    const model = lookupModel(g.backend, r.model);
    const tokens =
      'prompt' in r
        ? model.tokenizer.encode(r.prompt, { addBos: r.add_special_tokens ?? true })
        : chatPrompt(r.messages, model, {
            ...(r.add_generation_prompt == null ? {} : { addGenerationPrompt: r.add_generation_prompt }),
            ...(r.add_special_tokens == null ? {} : { addSpecialTokens: r.add_special_tokens }),
            ...(r.chat_template_kwargs == null ? {} : { templateKwargs: r.chat_template_kwargs }),
          }).tokenIds;
    return c.json({
      count: tokens.length,
      max_model_len: model.maxModelLen,
      tokens,
      ...(r.return_token_strs ? { token_strs: tokens.map((id) => model.tokenizer.tokenPiece(id)) } : {}),
    });
  });

  app.post('/detokenize', async (c) => {
    const r = parseRequest(DetokenizeRequestSchema, await g.readBody(c));
    const model = lookupModel(g.backend, r.model);
    const vocab = model.tokenizer.vocabSize;
    const bad = r.tokens.findIndex((id) => id >= vocab);
    if (bad >= 0) {
      throw new ServiceError(
        'invalid_request',
        `token id ${r.tokens[bad]} is outside the vocabulary (${vocab})`,
        {
          param: `tokens[${bad}]`,
        },
      );
    }
    return c.json({ prompt: model.tokenizer.decode(r.tokens) });
  });
}
