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
  /**
   * llama2.c's run.c ends generation when it samples BOS (and does not stop on EOS). Set for llama2.c
   * models (and kept through conversion) so the engine can add `bosTokenId` to its stop ids for golden
   * parity; absent means false.
   */
  stopOnBos?: boolean;
}

/**
 * Tensors are keyed by Hugging Face names: model.embed_tokens.weight, model.norm.weight,
 * lm_head.weight (absent when tied), model.layers.{i}.input_layernorm.weight,
 * model.layers.{i}.post_attention_layernorm.weight, model.layers.{i}.self_attn.{q,k,v,o}_proj.weight
 * (+ q/k/v .bias when qkvBias), model.layers.{i}.mlp.{gate,up,down}_proj.weight.
 * q_proj/k_proj rows are in the order `config.ropeStyle` expects.
 */
export type TensorMap = Map<string, TensorData>;

/** Options of `Tokenizer.encode`. */
export interface EncodeOptions {
  /** Prepend BOS (default true, as llama2.c and HF Llama do; tokenizers without a BOS ignore it). */
  addBos?: boolean;
  /**
   * Recognise special-token text such as `<s>` or `<|im_start|>` in the input (default true, as HF
   * tokenizers always do). llama2.c never does: pass false for its byte-exact behaviour on such text.
   */
  parseSpecial?: boolean;
}

/** Options of `Tokenizer.decode`. */
export interface DecodeOptions {
  /**
   * The token before `ids[0]` (e.g. the last prompt token when decoding a completion). Given it, a
   * piece's leading space is dropped only right after BOS, exactly as llama2.c's decode(prev, token).
   * Without it, the first piece is taken as the start of a text and its dummy-prefix space is dropped.
   */
  prevTokenId?: number;
  /**
   * llama2.c's safe_printf: skip pieces that decode to one byte that is neither printable nor space
   * (e.g. a lone byte token of a multi-byte character). Needed to reproduce golden.json's `text`;
   * leave it off to get real UTF-8 text.
   */
  skipUnprintableBytes?: boolean;
}

/** Who calls: the gateway (prompts, /tokenize, /detokenize) and the engine (stop strings, streaming). */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenIds: number[];
  /** Encodes text; see EncodeOptions. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Decodes ids to text, skipping special tokens (BOS, EOS, ...); see DecodeOptions for leading spaces. */
  decode(ids: number[], options?: DecodeOptions): string;
  /** The raw string piece of one token (with its leading space), for debugging and logprobs. */
  tokenPiece(id: number): string;
}

/** What every loader returns; tensors may be views into the file buffers (do not mutate them). */
export interface LoadedModel {
  /** Where it came from (file or directory) and which format. */
  source: { path: string; format: 'llama2c' | 'hf' | 'gguf' };
  config: ModelConfig;
  tensors: TensorMap;
  tokenizer: Tokenizer;
  /** Jinja chat template, when the model ships one. */
  chatTemplate?: string;
}
