/**
 * One step's flattened batch, as the native Transformer.forward takes it. Sequence s owns query
 * rows [queryStart[s], queryStart[s] + queryLen[s]); row t holds token tokenIds[t] at position
 * positions[t], and its K/V is written to slot slotMapping[t] = blockId * blockSize + offset.
 * contextLen[s] counts the tokens in the cache after this step, the new ones included; row i of
 * sequence s attends causally to positions 0..contextLen[s] - queryLen[s] + i through its block
 * table blockTables[s * maxBlocksPerSeq ..] (entries past the sequence's blocks are padding, 0).
 */
export interface ModelInput {
  tokenIds: Int32Array;
  positions: Int32Array;
  slotMapping: Int32Array;
  queryStart: Int32Array;
  queryLen: Int32Array;
  contextLen: Int32Array;
  /** [numSeqs][maxBlocksPerSeq], row-major. */
  blockTables: Int32Array;
  maxBlocksPerSeq: number;
  /** Rows whose logits are wanted, ascending: each sampling sequence's last row, plus prompt-logprob rows. */
  logitsRows: Int32Array;
}

/**
 * The engine's view of a model runner (the native CPU or CUDA runner, or FakeModelExecutor in
 * tests). EngineCore calls `execute` once per step and never again before the returned Promise
 * settles; the arrays of `input` are not touched while it runs.
 *
 * Contract: the runner writes every row's K/V of a layer before any row of that layer attends, so
 * a sequence may read blocks that another sequence of the same batch writes in this step (a
 * prefix-cache hit on blocks registered this step). `numBlocks` and `blockSize` describe the KV
 * pool the runner owns; the engine's block ids index it.
 */
export interface ModelExecutor {
  readonly vocabSize: number;
  readonly blockSize: number;
  readonly numBlocks: number;
  /** Runs one step; resolves to logits [logitsRows.length][vocabSize] (row-major, f32). */
  execute(input: ModelInput): Promise<Float32Array>;
}
