import { type ForwardBatch, KvPool, Transformer } from '@pdserve/native';
import { ropeInverseFrequencies } from './rope-frequencies.js';
import type { LoadedModel, ModelConfig } from './types.js';

/** One step's flattened batch: the native Transformer's ForwardBatch (the engine builds it). */
export type ModelInput = ForwardBatch;

export interface ModelRunnerOptions {
  /** How projections are stored in memory (default: f32). */
  dtype?: 'f32' | 'bf16' | 'q8_0';
  /** KV cache element type (default: f32). */
  kvDtype?: 'f32' | 'bf16';
  /** Tokens per KV block (default 16). */
  blockSize?: number;
  /** KV blocks in the pool; default: as many as kvCacheBytes holds. */
  numBlocks?: number;
  /** Bytes of KV cache when numBlocks is not given (default 512 MiB, capped at 64 full-length sequences). */
  kvCacheBytes?: number;
  /** Longest sequence served (default and maximum: the model's maxSeqLen). */
  maxModelLen?: number;
}

const DEFAULT_KV_BYTES = 512 * 1024 * 1024;

/**
 * The model runner: a loaded model on the native Transformer plus its paged KV pool in shared
 * memory. The engine calls `execute` once per step (one call at a time); `close` unmaps the pool.
 */
export class ModelRunner {
  readonly config: ModelConfig;
  readonly blockSize: number;
  readonly numBlocks: number;
  readonly maxModelLen: number;
  readonly kvPool: KvPool;
  private readonly transformer: Transformer;

  private constructor(
    model: LoadedModel,
    transformer: Transformer,
    kvPool: KvPool,
    opts: Required<ModelRunnerOptions>,
  ) {
    this.config = model.config;
    this.transformer = transformer;
    this.kvPool = kvPool;
    this.blockSize = opts.blockSize;
    this.numBlocks = opts.numBlocks;
    this.maxModelLen = opts.maxModelLen;
  }

  /** Builds the native model from loaded tensors (converting to opts.dtype) and allocates the KV pool. */
  static create(model: LoadedModel, options: ModelRunnerOptions = {}): ModelRunner {
    const c = model.config;
    const maxModelLen = Math.min(options.maxModelLen ?? c.maxSeqLen, c.maxSeqLen);
    const blockSize = options.blockSize ?? 16;
    const kvDtype = options.kvDtype ?? 'f32';
    const bytesPerBlock = blockSize * c.nLayers * 2 * c.nKvHeads * c.headDim * (kvDtype === 'bf16' ? 2 : 4);
    const fullSeqBlocks = Math.ceil(maxModelLen / blockSize);
    const numBlocks =
      options.numBlocks ??
      Math.max(
        fullSeqBlocks,
        Math.min(64 * fullSeqBlocks, Math.floor((options.kvCacheBytes ?? DEFAULT_KV_BYTES) / bytesPerBlock)),
      );
    const dtype = options.dtype ?? 'f32';
    const transformer = new Transformer(
      { ...c, rotDim: c.headDim, invFreq: ropeInverseFrequencies(c) },
      model.tensors,
      dtype,
    );
    const kvPool = new KvPool({
      numBlocks,
      blockSize,
      layers: c.nLayers,
      kvHeads: c.nKvHeads,
      headDim: c.headDim,
      dtype: kvDtype,
    });
    return new ModelRunner(model, transformer, kvPool, {
      dtype,
      kvDtype,
      blockSize,
      numBlocks,
      kvCacheBytes: numBlocks * bytesPerBlock,
      maxModelLen,
    });
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  /** Bytes of weights one decode step reads at batch 1 (for bandwidth-floor figures). */
  get weightBytesPerToken(): number {
    return this.transformer.weightBytesPerToken;
  }

  /** Runs one step; resolves to logits [input.logitsRows.length][vocabSize]. */
  execute(input: ModelInput): Promise<Float32Array> {
    return this.transformer.forward(input, this.kvPool);
  }

  close(): void {
    this.kvPool.close();
  }
}
