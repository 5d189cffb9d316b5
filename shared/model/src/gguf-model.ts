import { ggufConfig, ggufConfigMetadata } from './gguf-config.js';
import { GgufMeta } from './gguf-metadata.js';
import { GgufNames } from './gguf-names.js';
import { readGgufHeader, readGgufTensors } from './gguf-reader.js';
import { ggufTokenizerMetadata, tokenizerFromGguf } from './gguf-tokenizer.js';
import type { GgufMetadata } from './gguf-types.js';
import { writeGguf } from './gguf-writer.js';
import { type ModelToWrite, withRopeStyle } from './hf-writer.js';
import { ModelFormatError } from './model-format-error.js';
import { TensorCodec } from './tensor-codec.js';
import { type TensorEntry, tensorEntries } from './tensor-entry.js';
import { checkTensors } from './tensor-layout.js';
import type { DType, LoadedModel, TensorMap } from './types.js';

/**
 * Loads a GGUF v2/v3 file of architecture 'llama' (q/k rows interleaved, as llama.cpp's converter
 * stores them: ropeStyle 'interleaved') or 'qwen2' (neox, qkv bias). Tensors are renamed to HF names
 * with [out][in] shapes; q8_0 tensors stay raw blocks.
 */
export function loadGgufModel(path: string): LoadedModel {
  const h = readGgufHeader(path);
  const names = new Set(h.tensorInfos.map((t) => t.name));
  const config = ggufConfig(path, h.metadata, names);
  const mapped: TensorMap = new Map();
  for (const [name, t] of readGgufTensors(path, h)) {
    const hf = GgufNames.toHf(name);
    if (hf) mapped.set(hf, t);
  }
  const tensors = checkTensors(path, config, mapped);
  const tokenizer = tokenizerFromGguf(path, h.metadata, config.eosTokenIds);
  const chatTemplate = GgufMeta.string(h.metadata, 'tokenizer.chat_template');
  return {
    source: { path, format: 'gguf' },
    config,
    tensors,
    tokenizer,
    ...(chatTemplate !== undefined ? { chatTemplate } : {}),
  };
}

/** Options of writeGgufModel. */
export interface WriteGgufOptions {
  /** Dtype of 2-D weights for a TensorMap source (default: keep). 1-D tensors stay f32; q8_0 falls back to f32 for rows not a multiple of 32. */
  dtype?: DType;
  /** general.name (default 'pdserve'). */
  name?: string;
}

const FILE_TYPE: Record<DType, number> = { f32: 0, f16: 1, q8_0: 7, bf16: 32 };

function targetDtype(dtype: DType | undefined, shape: number[], current: DType): DType {
  if (shape.length < 2) return 'f32';
  const want = dtype ?? current;
  return TensorCodec.fits(want, shape) ? want : 'f32';
}

/**
 * Writes a model as GGUF v3: Llama/Mistral as 'llama' with interleaved q/k rows (an HF source is
 * un-permuted), Qwen2 as 'qwen2' (neox). Tokenizer and chat template go into the metadata.
 */
export function writeGgufModel(path: string, model: ModelToWrite, options: WriteGgufOptions = {}): void {
  const c = model.config;
  let entries: TensorEntry[] = Array.isArray(model.tensors)
    ? model.tensors
    : tensorEntries(model.tensors, (name) => {
        const t = (model.tensors as TensorMap).get(name)!;
        return targetDtype(options.dtype, t.shape, t.dtype);
      });
  entries = withRopeStyle(entries, c, c.architecture === 'qwen2' ? 'neox' : 'interleaved');
  const renamed = entries.map((e) => {
    const name = GgufNames.fromHf(e.name);
    if (!name) throw new ModelFormatError(path, 'unsupported', `no GGUF name for tensor ${e.name}`);
    return { ...e, name };
  });
  const main = entries.find((e) => e.name.endsWith('q_proj.weight'))?.dtype ?? 'f32';
  const arch = c.architecture === 'qwen2' ? 'qwen2' : 'llama';
  const metadata: GgufMetadata = new Map([
    ...ggufConfigMetadata(c, options.name ?? 'pdserve'),
    ['general.file_type', GgufMeta.u32(FILE_TYPE[main])],
    ...ggufTokenizerMetadata(path, model.tokenizer, arch, model.chatTemplate),
  ]);
  writeGguf(path, { metadata, tensors: renamed });
}
