import type { Tokenizer } from '@pdserve/model';
import { ServiceError } from '@pdserve/protocol';
import type { CompletionRequest } from './completion-request.js';
import type { TokenizedPrompt } from './tokenized-prompt.js';

/**
 * The prompts of a completions request, tokenized: a string, a list of strings, a list of token
 * ids, or a list of such lists. Strings get BOS unless add_special_tokens is false; token ids are
 * taken as they are after a vocabulary check. An empty prompt is a 400.
 */
export function completionPrompts(
  prompt: CompletionRequest['prompt'],
  tokenizer: Tokenizer,
  addSpecialTokens: boolean,
): TokenizedPrompt[] {
  const list: (string | number[])[] =
    typeof prompt === 'string' ? [prompt] : isIdList(prompt) ? [prompt] : (prompt as (string | number[])[]);
  return list.map((p, i) => {
    const param = list.length === 1 && prompt === p ? 'prompt' : `prompt[${i}]`;
    const tokenIds = typeof p === 'string' ? tokenizer.encode(p, { addBos: addSpecialTokens }) : p;
    if (tokenIds.length === 0) throw new ServiceError('invalid_request', 'the prompt is empty', { param });
    const bad = tokenIds.find((id) => id >= tokenizer.vocabSize);
    if (bad !== undefined) {
      throw new ServiceError(
        'invalid_request',
        `token id ${bad} is outside the vocabulary (${tokenizer.vocabSize})`,
        {
          param,
        },
      );
    }
    return { tokenIds, text: typeof p === 'string' ? p : tokenizer.decode(p) };
  });
}

function isIdList(p: CompletionRequest['prompt']): p is number[] {
  return Array.isArray(p) && typeof p[0] === 'number';
}
