import { ServiceError } from '@pdserve/protocol';

/**
 * Checks that a prompt plus max_tokens fits the model's context; returns max_tokens unchanged.
 * With max_tokens null the engine generates up to the context, which needs room for one token.
 * The error names `promptParam` ('prompt' or 'messages') when the prompt alone is too long, else
 * `maxTokensParam`.
 */
export function checkContextLength(
  promptLen: number,
  maxTokens: number | null,
  maxModelLen: number,
  promptParam: string,
  maxTokensParam = 'max_tokens',
): number | null {
  const wanted = maxTokens ?? 1;
  if (promptLen + wanted <= maxModelLen) return maxTokens;
  const message =
    `This model's maximum context length is ${maxModelLen} tokens. However, you requested ` +
    `${promptLen + wanted} tokens (${promptLen} in the prompt, ${wanted} for the completion).`;
  const param = promptLen >= maxModelLen || maxTokens === null ? promptParam : maxTokensParam;
  throw new ServiceError('context_length_exceeded', message, { param });
}
