/**
 * A batched sampling backend the Sampler can hand its rows to: `@pdserve/native`'s `sampleBatch`
 * has exactly this shape (`{ sampleBatch }` from that package is a SamplingKernel), so the engine
 * needs no dependency on it and its tests keep the TypeScript path.
 *
 * Item i samples from `processed` row processedRows[i] when that is >= 0 (the Sampler's copy with
 * the logits processors applied), else from `logits` row rows[i]: greedy below temperature 1e-5,
 * else temperature -> min_p -> top_k -> top_p (ties ranked by lower id) and the first token, in
 * ascending id order, whose cumulative weight exceeds uniforms[i] times the kept total, which is
 * how the TypeScript Sampler draws too. Logprobs are of the raw `logits` row.
 */
export interface SamplingKernel {
  sampleBatch(input: SamplingKernelInput): Promise<SamplingKernelOutput>;
}

/** One step's rows to sample (see SamplingKernel). */
export interface SamplingKernelInput {
  logits: Float32Array;
  processed?: Float32Array | null;
  vocabSize: number;
  rows: Int32Array;
  processedRows?: Int32Array | null;
  temperature: Float64Array;
  /** <= 0: off. */
  topK: Int32Array;
  topP: Float64Array;
  minP: Float64Array;
  /** One draw from each request's own PRNG (0 for greedy items). */
  uniforms: Float64Array;
  /** -1: no logprobs; k >= 0: the chosen token's and the top k's. */
  numLogprobs?: Int32Array | null;
}

/** Per item: the token, and for items with logprobs the raw row's logZ, the rank and the top ids. */
export interface SamplingKernelOutput {
  tokenIds: Int32Array;
  logZ: Float64Array;
  ranks: Int32Array;
  /** [items][maxLogprobs], best first, -1 past an item's k. */
  topIds: Int32Array;
  maxLogprobs: number;
}
