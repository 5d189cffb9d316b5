import { SamplingParams, type SamplingParamsInit } from '@pdserve/engine';
import type { Tokenizer } from '@pdserve/model';
import type { z } from 'zod';
import type { samplingFields } from './sampling-fields.js';

type Fields = { [K in keyof typeof samplingFields]?: z.infer<(typeof samplingFields)[K]> };

/** What differs between completions and chat: the max_tokens in force and the logprobs asked for. */
export interface SamplingExtras {
  /** null: up to the context length. */
  maxTokens: number | null;
  logprobs: number | null;
  promptLogprobs: number | null;
}

/**
 * Maps a request's snake_case fields to the engine's SamplingParamsInit (outputKind 'delta'),
 * tokenizing bad_words, and validates the result with the engine's own rules against the model's
 * vocabulary, so a bad combination (min_tokens > max_tokens, a token id outside the vocabulary)
 * is a 400 naming the field before anything is sent to a backend.
 */
export function samplingFromRequest(
  f: Fields,
  extras: SamplingExtras,
  tokenizer: Tokenizer,
): SamplingParamsInit {
  const init: SamplingParamsInit = {
    n: f.n ?? 1,
    temperature: f.temperature ?? 1,
    topK: f.top_k ?? 0,
    topP: f.top_p ?? 1,
    minP: f.min_p ?? 0,
    presencePenalty: f.presence_penalty ?? 0,
    frequencyPenalty: f.frequency_penalty ?? 0,
    repetitionPenalty: f.repetition_penalty ?? 1,
    seed: f.seed ?? null,
    stop: f.stop ?? null,
    stopTokenIds: f.stop_token_ids ?? null,
    includeStopStrInOutput: f.include_stop_str_in_output ?? false,
    minTokens: f.min_tokens ?? 0,
    maxTokens: extras.maxTokens,
    ignoreEos: f.ignore_eos ?? false,
    logitBias: f.logit_bias ?? null,
    allowedTokenIds: f.allowed_token_ids ?? null,
    badWords: f.bad_words == null ? null : badWordIds(f.bad_words, tokenizer),
    logprobs: extras.logprobs,
    promptLogprobs: extras.promptLogprobs,
    outputKind: 'delta',
  };
  SamplingParams.create(init).verifyForVocab(tokenizer.vocabSize);
  return init;
}

/** vLLM's rule: each bad word is banned as written and with a leading space. */
function badWordIds(words: readonly string[], tokenizer: Tokenizer): number[][] {
  const seen = new Map<string, number[]>();
  for (const word of words) {
    for (const variant of word.startsWith(' ') ? [word] : [word, ` ${word}`]) {
      const ids = tokenizer.encode(variant, { addBos: false });
      if (ids.length > 0) seen.set(ids.join(','), ids);
    }
  }
  return [...seen.values()];
}
