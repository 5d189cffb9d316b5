import type { SeededRandom } from '../random/seeded-random.js';
import { PROMPT_WORDS } from './prompt-words.js';

/**
 * Builds prompts of a wanted token length from random words. `tokensPerWord` is how many tokens
 * the server's tokenizer spends per word (1 on large-vocabulary BPE tokenizers; measure it with
 * the endpoint's /tokenize, see calibrateTokensPerWord); a prompt of N tokens gets
 * round(N / tokensPerWord) words, at least one.
 */
export class PromptBuilder {
  constructor(readonly tokensPerWord = 1) {
    if (!(tokensPerWord > 0)) throw new RangeError(`tokensPerWord must be positive, got ${tokensPerWord}`);
  }

  /** How many words make roughly `tokens` tokens. */
  wordsFor(tokens: number): number {
    return Math.max(1, Math.round(tokens / this.tokensPerWord));
  }

  /** A prompt of roughly `tokens` tokens drawn from `rng`. */
  build(rng: SeededRandom, tokens: number): string {
    const n = this.wordsFor(tokens);
    const words = new Array<string>(n);
    for (let i = 0; i < n; i++) words[i] = rng.pick(PROMPT_WORDS);
    return words.join(' ');
  }
}
