import { ModelFormatError } from './model-format-error.js';
import type { ModelConfig, RopeScaling } from './types.js';

type Json = Record<string, unknown>;

const ARCHITECTURES: Record<string, ModelConfig['architecture']> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
};
const CLASS_OF: Record<ModelConfig['architecture'], string> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};
/** transformers' defaults per model type where config.json leaves a field out. */
const DEFAULT_MAX_POS: Record<ModelConfig['architecture'], number> = {
  llama: 2048,
  mistral: 131072,
  qwen2: 32768,
};

function ids(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

function num(path: string, j: Json, key: string, fallback?: number): number {
  const v = j[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ModelFormatError(path, 'invalid', `config field ${key} is missing or not a number`);
  }
  return v;
}

function parseRopeScaling(path: string, v: unknown): RopeScaling | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Json;
  const type = (r.rope_type ?? r.type) as string;
  if (type === 'default') return undefined;
  if (type === 'linear') return { type, factor: num(path, r, 'factor') };
  if (type === 'llama3') {
    return {
      type,
      factor: num(path, r, 'factor'),
      lowFreqFactor: num(path, r, 'low_freq_factor', 1),
      highFreqFactor: num(path, r, 'high_freq_factor', 4),
      originalMaxPositionEmbeddings: num(path, r, 'original_max_position_embeddings', 8192),
    };
  }
  throw new ModelFormatError(path, 'unsupported', `rope_scaling type ${type} is not supported`);
}

function architectureOf(path: string, j: Json): ModelConfig['architecture'] {
  const names = [...((j.architectures as string[] | undefined) ?? [])];
  const arch = names.map((n) => ARCHITECTURES[n]).find((a) => a !== undefined);
  if (!arch) {
    throw new ModelFormatError(
      path,
      'unknown-architecture',
      `architectures ${JSON.stringify(names)} not supported`,
    );
  }
  if ((j.hidden_act ?? 'silu') !== 'silu')
    throw new ModelFormatError(path, 'unsupported', `hidden_act ${j.hidden_act}`);
  if (j.mlp_bias === true || (arch !== 'qwen2' && j.attention_bias === true)) {
    throw new ModelFormatError(
      path,
      'unsupported',
      'attention_bias/mlp_bias (o_proj or MLP biases) are not supported',
    );
  }
  return arch;
}

/** Turns config.json (and generation_config.json, whose eos ids come first) into a ModelConfig. */
export function parseHfConfig(path: string, j: Json, generation: Json = {}): ModelConfig {
  const architecture = architectureOf(path, j);
  const dim = num(path, j, 'hidden_size');
  const nHeads = num(path, j, 'num_attention_heads');
  const eos = [...new Set([...ids(generation.eos_token_id), ...ids(j.eos_token_id)])];
  const config: ModelConfig = {
    architecture,
    dim,
    hiddenDim: num(path, j, 'intermediate_size'),
    nLayers: num(path, j, 'num_hidden_layers'),
    nHeads,
    nKvHeads: num(path, j, 'num_key_value_heads', nHeads),
    headDim: typeof j.head_dim === 'number' ? j.head_dim : dim / nHeads,
    vocabSize: num(path, j, 'vocab_size'),
    maxSeqLen: num(path, j, 'max_position_embeddings', DEFAULT_MAX_POS[architecture]),
    normEps: num(path, j, 'rms_norm_eps', 1e-6),
    ropeTheta: num(path, j, 'rope_theta', 10000),
    ropeStyle: 'neox',
    tiedEmbeddings: j.tie_word_embeddings === true,
    qkvBias: architecture === 'qwen2',
    bosTokenId: ids(generation.bos_token_id ?? j.bos_token_id)[0] ?? 1,
    eosTokenIds: eos.length > 0 ? eos : [2],
  };
  const scaling = parseRopeScaling(path, j.rope_scaling);
  if (scaling) config.ropeScaling = scaling;
  if (j.pdserve_stop_on_bos === true) config.stopOnBos = true;
  if (!Number.isInteger(config.headDim) || config.nHeads % config.nKvHeads !== 0) {
    throw new ModelFormatError(
      path,
      'invalid',
      `heads ${nHeads}/${config.nKvHeads} do not fit hidden_size ${dim}`,
    );
  }
  return config;
}

function ropeScalingJson(r: RopeScaling): Json {
  if (r.type === 'linear') return { rope_type: 'linear', type: 'linear', factor: r.factor };
  return {
    rope_type: 'llama3',
    factor: r.factor,
    low_freq_factor: r.lowFreqFactor ?? 1,
    high_freq_factor: r.highFreqFactor ?? 4,
    original_max_position_embeddings: r.originalMaxPositionEmbeddings ?? 8192,
  };
}

/** config.json for a ModelConfig (rotate-half q/k order is the writer's business). */
export function toHfConfig(c: ModelConfig, torchDtype: string): Json {
  return {
    architectures: [CLASS_OF[c.architecture]],
    model_type: c.architecture,
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: c.headDim,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxSeqLen,
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    rope_scaling: c.ropeScaling ? ropeScalingJson(c.ropeScaling) : null,
    tie_word_embeddings: c.tiedEmbeddings,
    hidden_act: 'silu',
    ...(c.architecture === 'qwen2' ? {} : { attention_bias: false }),
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds,
    torch_dtype: torchDtype,
    ...(c.stopOnBos ? { pdserve_stop_on_bos: true } : {}),
  };
}

/** generation_config.json carrying the full eos list. */
export function toHfGenerationConfig(c: ModelConfig): Json {
  return {
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds,
  };
}
