/** Where one step's time went (milliseconds, performance.now()) and its size: for benchmarks. */
export interface StepMetrics {
  numScheduledSeqs: number;
  numScheduledTokens: number;
  /** Sequences that sampled a token this step. */
  numSampled: number;
  /** Scheduler.schedule() and ModelInputBuilder.build(). */
  scheduleMs: number;
  /** executor.execute(): the model runner. */
  executeMs: number;
  /** The Sampler (logits processors, the draw, logprobs), prompt logprobs and n > 1 forks. */
  sampleMs: number;
  /** Applying the samples: appending tokens, stop checks, freeing finished requests. */
  updateMs: number;
}

/** KV slots (tokens) held by blocks in use, each block once, and how many hold computed tokens. */
export interface KvSlotUsage {
  reservedSlots: number;
  usedSlots: number;
}
