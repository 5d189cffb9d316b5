import { GgufMeta } from './gguf-metadata.js';
import type { GgufMetadata } from './gguf-types.js';
import { ModelFormatError } from './model-format-error.js';
import type { ModelConfig, RopeScaling } from './types.js';

/** The shortest decimal that is the same float32, so 1e-5 stored as f32 reads back as 1e-5. */
export function shortestF32(v: number): number {
  for (let p = 1; p < 10; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === Math.fround(v)) return candidate;
  }
  return v;
}

function need(path: string, md: GgufMetadata, key: string): number {
  const v = GgufMeta.number(md, key);
  if (v === undefined) throw new ModelFormatError(path, 'invalid', `metadata ${key} is missing`);
  return v;
}

function ropeScalingOf(path: string, md: GgufMetadata, arch: string): RopeScaling | undefined {
  const f = (key: string) => {
    const v = GgufMeta.number(md, key);
    return v === undefined ? undefined : shortestF32(v);
  };
  if (GgufMeta.string(md, 'pdserve.rope.scaling.type') === 'llama3') {
    return {
      type: 'llama3',
      factor: f('pdserve.rope.scaling.factor') ?? 8,
      lowFreqFactor: f('pdserve.rope.scaling.low_freq_factor') ?? 1,
      highFreqFactor: f('pdserve.rope.scaling.high_freq_factor') ?? 4,
      originalMaxPositionEmbeddings: f('pdserve.rope.scaling.original_context_length') ?? 8192,
    };
  }
  const type = GgufMeta.string(md, `${arch}.rope.scaling.type`);
  if (type === undefined || type === 'none') return undefined;
  if (type === 'linear') return { type, factor: f(`${arch}.rope.scaling.factor`) ?? 1 };
  throw new ModelFormatError(path, 'unsupported', `rope scaling ${type}`);
}

function eosIdsOf(md: GgufMetadata): number[] {
  const listed = GgufMeta.array(md, 'pdserve.eos_token_ids');
  if (listed) return listed.map(Number);
  const keys = ['tokenizer.ggml.eos_token_id', 'tokenizer.ggml.eot_token_id', 'tokenizer.ggml.eom_token_id'];
  const ids = keys.map((k) => GgufMeta.number(md, k)).filter((x): x is number => x !== undefined);
  return ids.length > 0 ? [...new Set(ids)] : [2];
}

/** Reads the ModelConfig of a GGUF 'llama' or 'qwen2' file; `tensorNames` decide tying and biases. */
export function ggufConfig(path: string, md: GgufMetadata, tensorNames: Set<string>): ModelConfig {
  const arch = GgufMeta.string(md, 'general.architecture');
  if (arch !== 'llama' && arch !== 'qwen2') {
    throw new ModelFormatError(path, 'unknown-architecture', `general.architecture ${arch} is not supported`);
  }
  if (tensorNames.has('rope_freqs.weight') && !md.has('pdserve.rope.scaling.type')) {
    throw new ModelFormatError(
      path,
      'unsupported',
      'rope_freqs (llama3 RoPE factors as a tensor) is not supported',
    );
  }
  const dim = need(path, md, `${arch}.embedding_length`);
  const nHeads = need(path, md, `${arch}.attention.head_count`);
  const tokens = GgufMeta.array(md, 'tokenizer.ggml.tokens');
  const config: ModelConfig = {
    architecture: GgufMeta.string(md, 'pdserve.architecture') === 'mistral' ? 'mistral' : arch,
    dim,
    hiddenDim: need(path, md, `${arch}.feed_forward_length`),
    nLayers: need(path, md, `${arch}.block_count`),
    nHeads,
    nKvHeads: GgufMeta.number(md, `${arch}.attention.head_count_kv`) ?? nHeads,
    headDim: GgufMeta.number(md, `${arch}.attention.key_length`) ?? dim / nHeads,
    vocabSize: GgufMeta.number(md, `${arch}.vocab_size`) ?? tokens?.length ?? 0,
    maxSeqLen: need(path, md, `${arch}.context_length`),
    normEps: shortestF32(need(path, md, `${arch}.attention.layer_norm_rms_epsilon`)),
    ropeTheta: shortestF32(GgufMeta.number(md, `${arch}.rope.freq_base`) ?? 10000),
    ropeStyle: arch === 'llama' ? 'interleaved' : 'neox',
    tiedEmbeddings: !tensorNames.has('output.weight'),
    qkvBias: tensorNames.has('blk.0.attn_q.bias'),
    bosTokenId: GgufMeta.number(md, 'tokenizer.ggml.bos_token_id') ?? 1,
    eosTokenIds: eosIdsOf(md),
  };
  const scaling = ropeScalingOf(path, md, arch);
  if (scaling) config.ropeScaling = scaling;
  if (GgufMeta.bool(md, 'pdserve.stop_on_bos')) config.stopOnBos = true;
  return config;
}

function scalingMetadata(c: ModelConfig, arch: string): [string, ReturnType<typeof GgufMeta.str>][] {
  const r = c.ropeScaling;
  if (!r) return [];
  if (r.type === 'linear') {
    return [
      [`${arch}.rope.scaling.type`, GgufMeta.str('linear')],
      [`${arch}.rope.scaling.factor`, GgufMeta.f32(r.factor)],
    ];
  }
  return [
    ['pdserve.rope.scaling.type', GgufMeta.str('llama3')],
    ['pdserve.rope.scaling.factor', GgufMeta.f32(r.factor)],
    ['pdserve.rope.scaling.low_freq_factor', GgufMeta.f32(r.lowFreqFactor ?? 1)],
    ['pdserve.rope.scaling.high_freq_factor', GgufMeta.f32(r.highFreqFactor ?? 4)],
    ['pdserve.rope.scaling.original_context_length', GgufMeta.u32(r.originalMaxPositionEmbeddings ?? 8192)],
  ];
}

/** The architecture metadata of a config ('mistral' is written as GGUF 'llama', as llama.cpp does). */
export function ggufConfigMetadata(c: ModelConfig, name: string): GgufMetadata {
  const arch = c.architecture === 'qwen2' ? 'qwen2' : 'llama';
  const md: GgufMetadata = new Map([
    ['general.architecture', GgufMeta.str(arch)],
    ['general.name', GgufMeta.str(name)],
    [`${arch}.context_length`, GgufMeta.u32(c.maxSeqLen)],
    [`${arch}.embedding_length`, GgufMeta.u32(c.dim)],
    [`${arch}.block_count`, GgufMeta.u32(c.nLayers)],
    [`${arch}.feed_forward_length`, GgufMeta.u32(c.hiddenDim)],
    [`${arch}.attention.head_count`, GgufMeta.u32(c.nHeads)],
    [`${arch}.attention.head_count_kv`, GgufMeta.u32(c.nKvHeads)],
    [`${arch}.attention.key_length`, GgufMeta.u32(c.headDim)],
    [`${arch}.attention.value_length`, GgufMeta.u32(c.headDim)],
    [`${arch}.rope.dimension_count`, GgufMeta.u32(c.headDim)],
    [`${arch}.attention.layer_norm_rms_epsilon`, GgufMeta.f32(c.normEps)],
    [`${arch}.rope.freq_base`, GgufMeta.f32(c.ropeTheta)],
    [`${arch}.vocab_size`, GgufMeta.u32(c.vocabSize)],
    ...scalingMetadata(c, arch),
    ['pdserve.eos_token_ids', GgufMeta.arr('i32', c.eosTokenIds)],
  ]);
  if (c.architecture === 'mistral') md.set('pdserve.architecture', GgufMeta.str('mistral'));
  if (c.stopOnBos) md.set('pdserve.stop_on_bos', GgufMeta.flag(true));
  return md;
}
