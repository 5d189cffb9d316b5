export {
  applyChatTemplate,
  type ChatMessage,
  ChatTemplateError,
  type ChatTemplateOptions,
  DEFAULT_CHAT_TEMPLATE,
} from './chat-template.js';
export { type ConvertModelOptions, convertModel } from './convert-model.js';
export { GgufMeta } from './gguf-metadata.js';
export { loadGgufModel, type WriteGgufOptions, writeGgufModel } from './gguf-model.js';
export { readGgufHeader, readGgufTensors } from './gguf-reader.js';
export type { GgufHeader, GgufMetadata, GgufTensorInfo, GgufValue } from './gguf-types.js';
export { type GgufContents, writeGguf } from './gguf-writer.js';
export { parseHfConfig, toHfConfig } from './hf-config.js';
export { loadHfModel } from './hf-loader.js';
export { HfTokenizer } from './hf-tokenizer.js';
export { type ModelToWrite, type WriteHfOptions, writeHfModel } from './hf-writer.js';
export { LLAMA2C_MAGIC, loadLlama2cModel, readLlama2cCheckpoint } from './llama2c-loader.js';
export { LLAMA2C_BOS, LLAMA2C_EOS, readLlama2cTokenizer } from './llama2c-tokenizer-file.js';
export { detectModelFormat, findLlama2cTokenizer, type LoadModelOptions, loadModel } from './load-model.js';
export {
  llama2Tokenizer,
  type MakeModelOptions,
  type ModelShape,
  makeModel,
  modelShapeConfig,
} from './make-model.js';
export { modelFingerprint } from './model-fingerprint.js';
export { ModelFormatError, type ModelFormatProblem } from './model-format-error.js';
export { type ModelInput, ModelRunner, type ModelRunnerOptions } from './model-runner.js';
export { randomTensorEntries } from './random-weights.js';
export { ropeInverseFrequencies } from './rope-frequencies.js';
export { permuteRopeRows } from './rope-permute.js';
export { readSafetensors, readSafetensorsDir, writeSafetensors } from './safetensors.js';
export { SpmTokenizer, type SpmVocab, TokenType } from './spm-tokenizer.js';
export { spmToTokenizerJson } from './spm-tokenizer-json.js';
export { TensorCodec } from './tensor-codec.js';
export type { TensorEntry } from './tensor-entry.js';
export { tensorEntries } from './tensor-entry.js';
export { expectedTensors } from './tensor-layout.js';
export type {
  DecodeOptions,
  DType,
  EncodeOptions,
  LoadedModel,
  ModelConfig,
  RopeScaling,
  RopeStyle,
  TensorData,
  TensorMap,
  Tokenizer,
} from './types.js';
