import type { PromptLogprobsChunk, TokenLogprobs } from './engine-core-output.js';
import { applyLogitsProcessors } from './logits-processors.js';
import type { Request } from './request.js';
import type { SamplingParams } from './sampling-params.js';
import { computeTokenLogprobs } from './token-logprobs.js';
import { argmax, selectNucleus, selectTopK } from './top-k-selection.js';
import type { Xoshiro128 } from './xoshiro128.js';

/** One sampled token and, when the request asked for them, its logprobs. */
export interface SampledToken {
  tokenId: number;
  logprobs: TokenLogprobs | null;
}

/**
 * Samples one token per request from rows of the step's logits (EngineCore calls `sample` for each
 * row that samples, and `promptLogprobs` for prompt-logprob rows). Applies the logits processors,
 * then greedy argmax (temperature 0) or temperature -> min_p -> top_k -> top_p -> a draw from the
 * request's own RNG, one uniform per token, so seeded output does not depend on the batch.
 * Never mutates the logits it is given (n > 1 siblings sample the same row); the only state it
 * advances is the request's RNG.
 */
export class Sampler {
  private readonly scratch: Float32Array;
  private readonly ids: Int32Array;
  private readonly weights: Float64Array;

  constructor(readonly vocabSize: number) {
    this.scratch = new Float32Array(vocabSize);
    this.ids = new Int32Array(vocabSize);
    this.weights = new Float64Array(vocabSize);
  }

  /** Samples from logits row `row` of a [rows][vocabSize] buffer for `request`. */
  sample(logits: Float32Array, row: number, request: Request): SampledToken {
    const raw = logits.subarray(row * this.vocabSize, (row + 1) * this.vocabSize);
    const x = this.scratch;
    x.set(raw);
    applyLogitsProcessors(x, request);
    const params = request.samplingParams;
    const tokenId = params.isGreedy ? argmax(x) : this.sampleRandom(x, params, request.rng);
    const logprobs =
      params.logprobs === null ? null : computeTokenLogprobs(raw, tokenId, params.logprobs, this.ids);
    return { tokenId, logprobs };
  }

  /** Prompt logprobs of `count` consecutive rows starting at `firstRow`, scoring prompt tokens from `firstPosition`. */
  promptLogprobs(
    logits: Float32Array,
    firstRow: number,
    firstPosition: number,
    count: number,
    request: Request,
  ): PromptLogprobsChunk {
    const k = request.samplingParams.promptLogprobs ?? 0;
    const entries: TokenLogprobs[] = [];
    for (let i = 0; i < count; i++) {
      const r = firstRow + i;
      const raw = logits.subarray(r * this.vocabSize, (r + 1) * this.vocabSize);
      entries.push(computeTokenLogprobs(raw, request.promptTokenIds[firstPosition + i], k, this.ids));
    }
    return { firstPosition, entries };
  }

  /** Temperature, min_p, top_k, top_p, then one draw; falls back to argmax when every token is banned. */
  private sampleRandom(x: Float32Array, p: SamplingParams, rng: Xoshiro128): number {
    let max = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < x.length; v++) if (x[v] > max) max = x[v];
    if (max === Number.NEGATIVE_INFINITY) return argmax(x);
    const n = this.selectCandidates(x, p, max);
    const ids = this.ids;
    const w = this.weights;
    let total = 0;
    for (let i = 0; i < n; i++) total += w[ids[i]];
    let u = rng.nextFloat() * total;
    for (let i = 0; i < n; i++) {
      u -= w[ids[i]];
      if (u < 0) return ids[i];
    }
    return ids[n - 1];
  }

  /**
   * Leaves the candidates in ids[0, n) and their temperature-scaled weights exp((x - max) / t) in
   * `weights` (by token id); returns n. Never sorts the vocabulary: min_p is a threshold, top_k a
   * quickselect, top_p a weighted quickselect.
   */
  private selectCandidates(x: Float32Array, p: SamplingParams, max: number): number {
    const t = p.temperature;
    // min_p on temperature-scaled probabilities: p_v / p_max >= minP  <=>  x_v >= max + t * ln(minP).
    const threshold = p.minP > 0 ? max + t * Math.log(p.minP) : Number.NEGATIVE_INFINITY;
    const ids = this.ids;
    let n = 0;
    for (let v = 0; v < x.length; v++)
      if (x[v] >= threshold && x[v] !== Number.NEGATIVE_INFINITY) ids[n++] = v;
    if (p.topK > 0 && n > p.topK) {
      selectTopK(x, ids, n, p.topK);
      n = p.topK;
    }
    const w = this.weights;
    const invT = 1 / t;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      w[id] = Math.exp((x[id] - max) * invT);
      total += w[id];
    }
    return p.topP < 1 ? selectNucleus(x, w, ids, n, p.topP * total) : n;
  }
}
