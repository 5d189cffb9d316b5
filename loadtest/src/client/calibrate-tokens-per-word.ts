import { PROMPT_WORDS } from '../datasets/prompt-words.js';
import { SeededRandom } from '../random/seeded-random.js';
import type { ClientOptions } from './client-options.js';

/** The endpoint's /tokenize could not be used to calibrate prompt lengths. */
export class CalibrationError extends Error {
  override readonly name = 'CalibrationError';
}

const SAMPLE_WORDS = 400;

/**
 * Tokens per prompt word on the server's own tokenizer: POSTs a sample of the prompt words to
 * `{baseUrl}/tokenize` (vLLM's and pdserve's shape: {model, prompt} -> {count}) without special
 * tokens and divides. One small request to the address under test, before the run.
 */
export async function calibrateTokensPerWord(o: ClientOptions, signal?: AbortSignal): Promise<number> {
  const rng = new SeededRandom(12345);
  const prompt = Array.from({ length: SAMPLE_WORDS }, () => rng.pick(PROMPT_WORDS)).join(' ');
  const url = `${o.baseUrl.replace(/\/+$/, '')}/tokenize`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
      },
      body: JSON.stringify({ model: o.model, prompt, add_special_tokens: false }),
      ...(signal ? { signal } : {}),
    });
  } catch (cause) {
    throw new CalibrationError(`POST ${url} failed`, { cause });
  }
  const body = (await res.json().catch(() => null)) as { count?: unknown } | null;
  if (!res.ok || typeof body?.count !== 'number' || body.count <= 0) {
    throw new CalibrationError(`POST ${url} answered ${res.status} without a token count`);
  }
  return body.count / SAMPLE_WORDS;
}
