import { loadAddon } from './addon.js';

/**
 * One batch of rows to sample. Item i samples from `processed` row processedRows[i] when that is
 * >= 0 (a copy of its logits with penalties, bias and masks applied by the caller), else from
 * `logits` row rows[i]; its logprobs are always of the raw `logits` row rows[i].
 */
export interface SamplingBatchInput {
  /** The step's logits, [rows][vocabSize]. */
  logits: Float32Array;
  /** Processed rows, [m][vocabSize]; null or empty when no item needs them. */
  processed?: Float32Array | null;
  vocabSize: number;
  rows: Int32Array;
  /** Per item: a row of `processed`, or -1 (the default for every item when null). */
  processedRows?: Int32Array | null;
  /** Per item; below 1e-5 means greedy (the first argmax). */
  temperature: Float64Array;
  /** Per item; <= 0 keeps every token. */
  topK: Int32Array;
  /** Per item, in (0, 1]; 1 keeps every token. */
  topP: Float64Array;
  /** Per item, in [0, 1]; 0 keeps every token. */
  minP: Float64Array;
  /** Per item, in [0, 1): the one uniform a non-greedy item draws from its request's PRNG. */
  uniforms: Float64Array;
  /** Per item: -1 for no logprobs, k >= 0 for the chosen token's and the top k's (default all -1). */
  numLogprobs?: Int32Array | null;
}

/** What sampleBatch resolves with. */
export interface SamplingBatchOutput {
  tokenIds: Int32Array;
  /** Per item with numLogprobs >= 0: log-sum-exp of its raw row (a logprob is raw[id] - logZ). */
  logZ: Float64Array;
  /** Per item with numLogprobs >= 0: how many raw logits are at least the chosen one's (1 = the most likely). */
  ranks: Int32Array;
  /** [items][maxLogprobs]: each item's best tokens by raw logit (ties: lower id first), -1 past its k. */
  topIds: Int32Array;
  maxLogprobs: number;
}

interface SamplingAddon {
  sampling: {
    isa(): string;
    sample(
      batch: Required<{ [K in keyof SamplingBatchInput]: NonNullable<SamplingBatchInput[K]> }>,
    ): Promise<SamplingBatchOutput>;
  };
}

const native = () => loadAddon<SamplingAddon>().sampling;
const EMPTY = new Float32Array(0);

/** The ISA the sampling kernels use in this process (PDSERVE_ISA forces a lower one). */
export function samplingIsa(): 'avx512' | 'portable' {
  return native().isa() as 'avx512' | 'portable';
}

/**
 * Samples every item of the batch on the native thread pool: greedy, or temperature -> min_p ->
 * top_k -> top_p -> the first token, in ascending id order, whose cumulative weight exceeds
 * uniforms[i] times the kept total (the engine's TypeScript Sampler draws the same way, so the
 * same uniform picks the same token up to float rounding at a CDF boundary). Arguments are checked
 * synchronously (TypeError / RangeError); the inputs must not change until the promise settles.
 */
export function sampleBatch(input: SamplingBatchInput): Promise<SamplingBatchOutput> {
  const n = input.rows.length;
  return native().sample({
    ...input,
    processed: input.processed ?? EMPTY,
    processedRows: input.processedRows ?? new Int32Array(n).fill(-1),
    numLogprobs: input.numLogprobs ?? new Int32Array(n).fill(-1),
  });
}
