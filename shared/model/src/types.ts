/** Element types of tensors as stored in model files. q8_0 is ggml's: blocks of 32 values, an f16 scale then 32 int8. */
export type DType = 'f32' | 'f16' | 'bf16' | 'q8_0';

/** One tensor as a loader hands it over: row-major, shape outermost first ([out][in] for weights). */
export interface TensorData {
  dtype: DType;
  shape: number[];
  /** Raw little-endian bytes in `dtype`'s layout (a view into the file's buffer where possible). */
  data: Uint8Array;
}

/** How RoPE pairs dimensions: llama2.c / GGUF llama rotate adjacent pairs, HF rotates halves. */
export type RopeStyle = 'interleaved' | 'neox';

export interface RopeScaling {
  /** 'linear' divides positions by factor; 'llama3' scales frequencies by band. */
  type: 'linear' | 'llama3';
  factor: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositionEmbeddings?: number;
}

/** The architecture of a Llama-family decoder, whatever file it came from. */
export interface ModelConfig {
  architecture: 'llama' | 'mistral' | 'qwen2';
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
  ropeStyle: RopeStyle;
  ropeScaling?: RopeScaling;
  tiedEmbeddings: boolean;
  qkvBias: boolean;
  bosTokenId: number;
  /** Token ids that end generation (EOS and friends). */
  eosTokenIds: number[];
}

/**
 * Tensors are keyed by Hugging Face names: model.embed_tokens.weight, model.norm.weight,
 * lm_head.weight (absent when tied), model.layers.{i}.input_layernorm.weight,
 * model.layers.{i}.post_attention_layernorm.weight, model.layers.{i}.self_attn.{q,k,v,o}_proj.weight
 * (+ q/k/v .bias when qkvBias), model.layers.{i}.mlp.{gate,up,down}_proj.weight.
 * q_proj/k_proj rows are in the order `config.ropeStyle` expects.
 */
export type TensorMap = Map<string, TensorData>;

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenIds: number[];
  /** Encodes text; addBos prepends BOS (default true, as llama2.c and HF Llama do). */
  encode(text: string, options?: { addBos?: boolean }): number[];
  /** Decodes ids to text, skipping BOS/EOS specials; the first piece's dummy-prefix space is dropped. */
  decode(ids: number[]): string;
  /** The raw string piece of one token (with its leading space), for debugging and logprobs. */
  tokenPiece(id: number): string;
}

/** What every loader returns. */
export interface LoadedModel {
  /** Where it came from (file or directory) and which format. */
  source: { path: string; format: 'llama2c' | 'hf' | 'gguf' };
  config: ModelConfig;
  tensors: TensorMap;
  tokenizer: Tokenizer;
  /** Jinja chat template, when the model ships one. */
  chatTemplate?: string;
}
