import type { Request } from './request.js';

/**
 * The logits processors the Sampler applies before temperature, in vLLM v1's order: allowed
 * token ids, bad words, min_tokens, logit bias, then repetition / frequency / presence penalties.
 * Each mutates `logits` (one vocab-size row, a scratch copy) in place, reading the request's
 * parameters and history.
 */
export function applyLogitsProcessors(logits: Float32Array, request: Request): void {
  const p = request.samplingParams;
  if (p.allowedTokenIds !== null) applyAllowedTokenIds(logits, p.allowedTokenIds);
  if (p.badWords !== null) applyBadWords(logits, p.badWords, request.outputTokenIds);
  if (request.numOutputTokens < p.minTokens) {
    banTokens(logits, request.eosTokenIds);
    banTokens(logits, p.stopTokenIds);
  }
  if (p.logitBias !== null) {
    for (const [id, bias] of p.logitBias) logits[id] += bias;
  }
  if (p.repetitionPenalty !== 1) applyRepetitionPenalty(logits, request, p.repetitionPenalty);
  if (p.frequencyPenalty !== 0 || p.presencePenalty !== 0) {
    for (const [id, count] of request.outputTokenCounts) {
      logits[id] -= p.frequencyPenalty * count + p.presencePenalty;
    }
  }
}

/** Sets every id to -Infinity except the allowed ones. */
export function applyAllowedTokenIds(logits: Float32Array, allowed: readonly number[]): void {
  const kept = allowed.map((id) => logits[id]);
  logits.fill(Number.NEGATIVE_INFINITY);
  allowed.forEach((id, i) => {
    logits[id] = kept[i];
  });
}

/**
 * Bans the last token of each bad word whose other tokens end the output so far (a one-token
 * bad word is always banned), as vLLM does over the generated tokens.
 */
export function applyBadWords(
  logits: Float32Array,
  badWords: readonly (readonly number[])[],
  output: readonly number[],
): void {
  for (const word of badWords) {
    const prefixLen = word.length - 1;
    if (prefixLen > output.length) continue;
    let match = true;
    for (let i = 0; i < prefixLen && match; i++) match = output[output.length - prefixLen + i] === word[i];
    if (match) logits[word[prefixLen]] = Number.NEGATIVE_INFINITY;
  }
}

function banTokens(logits: Float32Array, ids: readonly number[]): void {
  for (const id of ids) logits[id] = Number.NEGATIVE_INFINITY;
}

/** Divides positive logits by the penalty and multiplies negative ones, for prompt and output tokens. */
function applyRepetitionPenalty(logits: Float32Array, request: Request, penalty: number): void {
  const apply = (id: number) => {
    const v = logits[id];
    logits[id] = v > 0 ? v / penalty : v * penalty;
  };
  for (const id of request.promptTokenSet) apply(id);
  for (const id of request.outputTokenCounts.keys()) {
    if (!request.promptTokenSet.has(id)) apply(id);
  }
}
