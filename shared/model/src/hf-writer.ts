import fs from 'node:fs';
import path from 'node:path';
import { toHfConfig, toHfGenerationConfig } from './hf-config.js';
import { ModelFormatError } from './model-format-error.js';
import { isRopeRowTensor, permuteRopeRows } from './rope-permute.js';
import { writeSafetensors } from './safetensors.js';
import { TensorCodec } from './tensor-codec.js';
import { type TensorEntry, tensorEntries } from './tensor-entry.js';
import { tokenizerFiles } from './tokenizer-files.js';
import type { DType, ModelConfig, TensorMap, Tokenizer } from './types.js';

/** What the writers need; a LoadedModel is one. */
export interface ModelToWrite {
  config: ModelConfig;
  /** A map (converted on the fly) or entries pulled one at a time (already in their dtype). */
  tensors: TensorMap | TensorEntry[];
  tokenizer: Tokenizer;
  chatTemplate?: string;
}

export interface WriteHfOptions {
  /** Weight dtype for a TensorMap source (default: keep f32/f16/bf16, q8_0 becomes f32). */
  dtype?: DType;
  /** Split into shards of about this many bytes with model.safetensors.index.json (default: one file). */
  shardBytes?: number;
}

const TORCH_DTYPE: Record<string, string> = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' };

/** Re-orders q/k rows lazily when the entries are in another RoPE pairing than `to`. */
export function withRopeStyle(
  entries: TensorEntry[],
  c: ModelConfig,
  to: ModelConfig['ropeStyle'],
): TensorEntry[] {
  if (c.ropeStyle === to) return entries;
  return entries.map((e) => {
    const which = isRopeRowTensor(e.name);
    if (!which) return e;
    const heads = which === 'q' ? c.nHeads : c.nKvHeads;
    return {
      ...e,
      load: () => permuteRopeRows({ dtype: e.dtype, shape: e.shape, data: e.load() }, heads, to).data,
    };
  });
}

function entriesFor(dir: string, m: ModelToWrite, dtype: DType | undefined): TensorEntry[] {
  if (dtype === 'q8_0')
    throw new ModelFormatError(
      dir,
      'unsupported-dtype',
      'q8_0 is a GGUF dtype; HF safetensors cannot hold it',
    );
  const entries = Array.isArray(m.tensors)
    ? m.tensors
    : tensorEntries(m.tensors, (_n, cur) => dtype ?? (cur === 'q8_0' ? 'f32' : cur));
  return withRopeStyle(entries, m.config, 'neox');
}

function shard(entries: TensorEntry[], limit: number): TensorEntry[][] {
  const shards: TensorEntry[][] = [[]];
  let size = 0;
  for (const e of entries) {
    const n = TensorCodec.byteLength(e.dtype, e.shape);
    if (size > 0 && size + n > limit) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(e);
    size += n;
  }
  return shards;
}

function writeWeights(dir: string, entries: TensorEntry[], shardBytes?: number): void {
  const shards = shard(entries, shardBytes ?? Number.POSITIVE_INFINITY);
  if (shards.length === 1) {
    writeSafetensors(path.join(dir, 'model.safetensors'), entries);
    return;
  }
  const weightMap: Record<string, string> = {};
  let total = 0;
  shards.forEach((s, i) => {
    const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    writeSafetensors(path.join(dir, name), s);
    for (const e of s) {
      weightMap[e.name] = name;
      total += TensorCodec.byteLength(e.dtype, e.shape);
    }
  });
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index, null, 2));
}

/**
 * Writes a Hugging Face directory: config.json, generation_config.json, model.safetensors (or shards),
 * tokenizer.json and tokenizer_config.json. Interleaved q/k rows are permuted to rotate-half order, as
 * HF's Llama conversion does, and the written config is ropeStyle 'neox'.
 */
export function writeHfModel(dir: string, model: ModelToWrite, options: WriteHfOptions = {}): void {
  const entries = entriesFor(dir, model, options.dtype);
  fs.mkdirSync(dir, { recursive: true });
  const tok = tokenizerFiles(dir, model.tokenizer, model.chatTemplate);
  const config = { ...model.config, ropeStyle: 'neox' as const };
  const weightDtype = entries.find((e) => e.name.endsWith('q_proj.weight'))?.dtype ?? 'f32';
  const json = (name: string, v: unknown) =>
    fs.writeFileSync(path.join(dir, name), JSON.stringify(v, null, 2));
  json('config.json', toHfConfig(config, TORCH_DTYPE[weightDtype] ?? 'float32'));
  json('generation_config.json', toHfGenerationConfig(config));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizerJson));
  json('tokenizer_config.json', tok.tokenizerConfig);
  writeWeights(dir, entries, options.shardBytes);
}
