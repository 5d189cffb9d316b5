import { loadAddon } from './addon.js';
import type { KvPool, NativeKvPool } from './kv-pool.js';
import type { DType, LinearStore } from './linear.js';

/** The decoder architecture the native Transformer runs (Llama, Mistral, Qwen2). Extra fields are ignored. */
export interface NativeModelConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  vocabSize: number;
  maxSeqLen: number;
  normEps: number;
  ropeTheta: number;
  ropeStyle: 'interleaved' | 'neox';
  /** Leading dims of each head that RoPE rotates (default headDim). */
  rotDim?: number;
  /** rotDim/2 inverse frequencies with RoPE scaling folded in; overrides ropeTheta. */
  invFreq?: Float32Array;
  tiedEmbeddings: boolean;
  qkvBias: boolean;
}

/** One source tensor: raw little-endian bytes, row-major, shape outermost first ([out][in]). */
export interface NativeTensor {
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

/**
 * One step's flattened batch. Sequence s owns rows [queryStart[s], queryStart[s] + queryLen[s])
 * (sequences in order, covering every row) and has contextLen[s] tokens cached after this step;
 * its row i has position contextLen - queryLen + i and slotMapping block * blockSize + offset
 * from its block table (or -1 to skip storing, when the slot already holds that token's K/V).
 */
export interface ForwardBatch {
  tokenIds: Int32Array;
  positions: Int32Array;
  slotMapping: Int32Array;
  queryStart: Int32Array;
  queryLen: Int32Array;
  contextLen: Int32Array;
  /** [numSeqs][maxBlocksPerSeq] block ids; entries past a sequence's blocks are ignored. */
  blockTables: Int32Array;
  maxBlocksPerSeq: number;
  /** Rows whose logits are returned, in this order. */
  logitsRows: Int32Array;
}

interface NativeTransformer {
  forward(batch: ForwardBatch, pool: NativeKvPool): Promise<Float32Array>;
  readonly weightBytesPerToken: number;
}

interface TransformerAddon {
  NativeTransformer: new (
    config: NativeModelConfig,
    tensors: Map<string, NativeTensor>,
    store: LinearStore,
  ) => NativeTransformer;
}

/**
 * The Llama-family decoder on the native kernels. The constructor converts every projection to
 * `store` synchronously (seconds for a large model; it blocks the event loop), keeping norms and
 * biases in f32; it does not keep references to the source tensors. forward() runs off the JS
 * thread; calls on one Transformer are serialized natively (they share scratch buffers), so
 * overlapping calls are safe but do not run in parallel.
 *
 * Tensors are keyed by HF names (model.embed_tokens.weight, model.norm.weight, lm_head.weight
 * unless tiedEmbeddings, model.layers.{i}.{input_layernorm,post_attention_layernorm}.weight,
 * model.layers.{i}.self_attn.{q,k,v,o}_proj.weight (+ q/k/v .bias with qkvBias),
 * model.layers.{i}.mlp.{gate,up,down}_proj.weight); q/k rows in the order ropeStyle expects.
 * A missing tensor or a wrong shape, dtype or byte length throws a RangeError naming it.
 */
export class Transformer {
  private readonly native: NativeTransformer;

  constructor(
    readonly config: NativeModelConfig,
    tensors: Map<string, NativeTensor>,
    readonly store: LinearStore,
  ) {
    if (!(tensors instanceof Map)) throw new TypeError('tensors must be a Map');
    this.native = new (loadAddon<TransformerAddon>().NativeTransformer)(config, tensors, store);
  }

  /**
   * Runs all layers over the batch, writing its K/V into pool (whose layers, kvHeads and headDim
   * must match the model), and resolves with logits [logitsRows.length][vocabSize]. Every field
   * is checked first (lengths, token ids < vocab, block ids < numBlocks, positions and slots
   * consistent with the block tables, contextLen <= maxSeqLen): a bad batch throws a RangeError
   * synchronously and nothing is written. The index arrays are copied; nothing else is kept.
   */
  forward(batch: ForwardBatch, pool: KvPool): Promise<Float32Array> {
    return this.native.forward(batch, pool.native);
  }

  /** Bytes of weights one token reads at batch 1 (all projections, the head and the norms). */
  get weightBytesPerToken(): number {
    return this.native.weightBytesPerToken;
  }
}
