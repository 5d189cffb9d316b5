import type { PromptLogprobsChunk, TokenLogprobs } from './engine-core-output.js';
import { applyLogitsProcessors } from './logits-processors.js';
import type { Request } from './request.js';
import type { SamplingKernel, SamplingKernelOutput } from './sampling-kernel.js';
import type { SamplingParams } from './sampling-params.js';
import { computeTokenLogprobs } from './token-logprobs.js';
import { argmax, selectNucleus, selectTopK } from './top-k-selection.js';

/** One sampled token and, when the request asked for them, its logprobs. */
export interface SampledToken {
  tokenId: number;
  logprobs: TokenLogprobs | null;
}

/** One row of a step's logits to sample for one request (n > 1 siblings share a row). */
export interface SampleItem {
  row: number;
  request: Request;
}

/**
 * Samples one token per request from rows of the step's logits (EngineCore calls `sampleRows` once
 * per step, and `promptLogprobs` for prompt-logprob rows). Applies the logits processors, then
 * greedy argmax (temperature 0) or temperature -> min_p -> top_k -> top_p -> a draw: one uniform
 * from the request's own RNG picks the first kept token, in ascending id order, whose cumulative
 * weight exceeds it times the kept total, so seeded output does not depend on the batch.
 * With a SamplingKernel (the native one) the rows go to it in one call; this TypeScript path is its
 * reference, drawing the same way. Never mutates the logits it is given (n > 1 siblings sample the
 * same row); the only state it advances is each request's RNG (one draw per non-greedy row).
 */
export class Sampler {
  private readonly scratch: Float32Array;
  private readonly ids: Int32Array;
  private readonly weights: Float64Array;

  constructor(
    readonly vocabSize: number,
    readonly kernel: SamplingKernel | null = null,
  ) {
    this.scratch = new Float32Array(vocabSize);
    this.ids = new Int32Array(vocabSize);
    this.weights = new Float64Array(vocabSize);
  }

  /**
   * Samples every item: in one kernel call when there is a kernel (a Promise), else row by row
   * here (synchronously, so the engine's TypeScript path adds no await).
   */
  sampleRows(logits: Float32Array, items: readonly SampleItem[]): SampledToken[] | Promise<SampledToken[]> {
    if (this.kernel === null || items.length === 0)
      return items.map((it) => this.sample(logits, it.row, it.request));
    return this.sampleWithKernel(this.kernel, logits, items);
  }

  /** Samples from logits row `row` of a [rows][vocabSize] buffer for `request`. */
  sample(logits: Float32Array, row: number, request: Request): SampledToken {
    const raw = logits.subarray(row * this.vocabSize, (row + 1) * this.vocabSize);
    const x = this.scratch;
    x.set(raw);
    applyLogitsProcessors(x, request);
    const params = request.samplingParams;
    const tokenId = params.isGreedy ? argmax(x) : this.sampleRandom(x, params, request.rng.nextFloat());
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

  /**
   * Temperature, min_p, top_k, top_p, then the draw `u` (taken before the row is looked at, so
   * every non-greedy row advances the RNG once); argmax when every token is banned.
   */
  private sampleRandom(x: Float32Array, p: SamplingParams, u: number): number {
    let max = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < x.length; v++) if (x[v] > max) max = x[v];
    if (max === Number.NEGATIVE_INFINITY) return argmax(x);
    const n = this.selectCandidates(x, p, max);
    const ids = this.ids;
    const w = this.weights;
    let total = 0;
    for (let i = 0; i < n; i++) total += w[ids[i]];
    let rest = u * total;
    for (let i = 0; i < n; i++) {
      rest -= w[ids[i]];
      if (rest < 0) return ids[i];
    }
    return ids[n - 1];
  }

  /**
   * Leaves the candidates in ids[0, n), ascending, and their temperature-scaled weights
   * exp((x - max) / t) in `weights` (by token id); returns n. Never sorts the vocabulary: min_p is
   * a threshold, top_k a quickselect, top_p a weighted quickselect; only the kept ids are sorted.
   */
  private selectCandidates(x: Float32Array, p: SamplingParams, max: number): number {
    const t = p.temperature;
    // min_p on temperature-scaled probabilities: p_v / p_max >= minP  <=>  x_v >= max + t * ln(minP).
    const threshold = p.minP > 0 ? max + t * Math.log(p.minP) : Number.NEGATIVE_INFINITY;
    const ids = this.ids;
    let n = 0;
    for (let v = 0; v < x.length; v++)
      if (x[v] >= threshold && x[v] !== Number.NEGATIVE_INFINITY) ids[n++] = v;
    let reordered = false;
    if (p.topK > 0 && n > p.topK) {
      selectTopK(x, ids, n, p.topK);
      n = p.topK;
      reordered = true;
    }
    const w = this.weights;
    const invT = 1 / t;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      w[id] = Math.exp((x[id] - max) * invT);
      total += w[id];
    }
    if (p.topP < 1) {
      n = selectNucleus(x, w, ids, n, p.topP * total);
      reordered = true;
    }
    if (reordered) ids.subarray(0, n).sort();
    return n;
  }

  private async sampleWithKernel(
    kernel: SamplingKernel,
    logits: Float32Array,
    items: readonly SampleItem[],
  ): Promise<SampledToken[]> {
    const batch = buildKernelBatch(logits, this.vocabSize, items);
    const out = await kernel.sampleBatch(batch);
    return items.map((it, i) => ({
      tokenId: out.tokenIds[i],
      logprobs: batch.numLogprobs[i] < 0 ? null : kernelLogprobs(logits, this.vocabSize, it.row, out, i),
    }));
  }
}

/**
 * Whether applyLogitsProcessors would change this request's row (keep in step with it): rows that
 * need no processing go to the kernel without a copy.
 */
function needsLogitsProcessors(request: Request): boolean {
  const p = request.samplingParams;
  const minTokensBan =
    request.numOutputTokens < p.minTokens && (request.eosTokenIds.length > 0 || p.stopTokenIds.length > 0);
  return (
    p.allowedTokenIds !== null ||
    p.badWords !== null ||
    p.logitBias !== null ||
    p.repetitionPenalty !== 1 ||
    p.frequencyPenalty !== 0 ||
    p.presencePenalty !== 0 ||
    minTokensBan
  );
}

/** The kernel's input for `items`: processed copies where needed, parameters, one draw per non-greedy row. */
function buildKernelBatch(logits: Float32Array, vocab: number, items: readonly SampleItem[]) {
  const n = items.length;
  const needs = items.map((it) => needsLogitsProcessors(it.request));
  const numProcessed = needs.filter(Boolean).length;
  const processed = numProcessed > 0 ? new Float32Array(numProcessed * vocab) : null;
  const b = {
    logits,
    processed,
    vocabSize: vocab,
    rows: new Int32Array(n),
    processedRows: new Int32Array(n).fill(-1),
    temperature: new Float64Array(n),
    topK: new Int32Array(n),
    topP: new Float64Array(n),
    minP: new Float64Array(n),
    uniforms: new Float64Array(n),
    numLogprobs: new Int32Array(n).fill(-1),
  };
  let m = 0;
  items.forEach(({ row, request }, i) => {
    const p = request.samplingParams;
    b.rows[i] = row;
    if (processed !== null && needs[i]) {
      const dst = processed.subarray(m * vocab, (m + 1) * vocab);
      dst.set(logits.subarray(row * vocab, (row + 1) * vocab));
      applyLogitsProcessors(dst, request);
      b.processedRows[i] = m++;
    }
    b.temperature[i] = p.isGreedy ? 0 : p.temperature;
    b.topK[i] = p.topK;
    b.topP[i] = p.topP;
    b.minP[i] = p.minP;
    b.uniforms[i] = p.isGreedy ? 0 : request.rng.nextFloat();
    b.numLogprobs[i] = p.logprobs ?? -1;
  });
  return b;
}

/** TokenLogprobs of item i from the kernel's logZ, rank and top ids (logprobs of the raw row). */
function kernelLogprobs(
  logits: Float32Array,
  vocab: number,
  row: number,
  out: SamplingKernelOutput,
  i: number,
): TokenLogprobs {
  const raw = logits.subarray(row * vocab, (row + 1) * vocab);
  const logZ = out.logZ[i];
  const tokenId = out.tokenIds[i];
  const result: TokenLogprobs = {
    tokenIds: [tokenId],
    logprobs: [raw[tokenId] - logZ],
    ranks: [out.ranks[i]],
  };
  for (let j = 0; j < out.maxLogprobs; j++) {
    const id = out.topIds[i * out.maxLogprobs + j];
    if (id < 0) break;
    result.tokenIds.push(id);
    result.logprobs.push(raw[id] - logZ);
    result.ranks.push(j + 1);
  }
  return result;
}
