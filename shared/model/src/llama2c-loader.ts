import { readFileBytes, readFileRegions, withFile } from './file-regions.js';
import { LLAMA2C_BOS, LLAMA2C_EOS, readLlama2cTokenizer } from './llama2c-tokenizer-file.js';
import { ModelFormatError } from './model-format-error.js';
import type { LoadedModel, ModelConfig, TensorMap } from './types.js';

/** llama2.c's v1 export magic: 'ak42' as a little-endian uint32. */
export const LLAMA2C_MAGIC = 0x616b3432;

interface Slot {
  name: string;
  shape: number[];
  /** Legacy freq_cis tables: in the file, not a tensor. */
  skip?: boolean;
}

interface Header {
  version: 0 | 1;
  dataOffset: number;
  config: ModelConfig;
}

function parseHeader(path: string, head: Uint8Array): Header {
  if (head.byteLength < 28) throw new ModelFormatError(path, 'truncated', 'shorter than a llama2.c header');
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const v1 = view.getUint32(0, true) === LLAMA2C_MAGIC;
  if (v1 && view.getInt32(4, true) !== 1) {
    throw new ModelFormatError(
      path,
      'unsupported-version',
      `llama2.c export version ${view.getInt32(4, true)}`,
    );
  }
  if (v1 && head.byteLength < 256) throw new ModelFormatError(path, 'truncated', 'shorter than a v1 header');
  const p = Array.from({ length: 7 }, (_, i) => view.getInt32((v1 ? 8 : 0) + 4 * i, true));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = p;
  const vocabSize = Math.abs(vocab);
  const sane =
    p.every((x, i) => i === 5 || x > 0) && vocabSize > 0 && dim % nHeads === 0 && nHeads % nKvHeads === 0;
  if (!sane || dim > 1 << 16 || nLayers > 1024 || vocabSize > 1 << 22) {
    throw new ModelFormatError(path, 'bad-magic', `not a llama2.c checkpoint (header ${p.join(', ')})`);
  }
  const config: ModelConfig = {
    architecture: 'llama',
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    headDim: dim / nHeads,
    vocabSize,
    maxSeqLen: seqLen,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: 'interleaved',
    tiedEmbeddings: v1 ? head[36] !== 0 : vocab > 0,
    qkvBias: false,
    bosTokenId: LLAMA2C_BOS,
    eosTokenIds: [LLAMA2C_EOS],
    stopOnBos: true,
  };
  return { version: v1 ? 1 : 0, dataOffset: v1 ? 256 : 28, config };
}

function perLayer(c: ModelConfig, suffix: string, shape: number[]): Slot[] {
  return Array.from({ length: c.nLayers }, (_, i) => ({ name: `model.layers.${i}.${suffix}`, shape }));
}

/** The tensors in file order for each export version. */
function layout(h: Header): Slot[] {
  const c = h.config;
  const kv = c.nKvHeads * c.headDim;
  const norms = {
    att: perLayer(c, 'input_layernorm.weight', [c.dim]),
    ffn: perLayer(c, 'post_attention_layernorm.weight', [c.dim]),
    final: [{ name: 'model.norm.weight', shape: [c.dim] }],
  };
  const mats = [
    ...perLayer(c, 'self_attn.q_proj.weight', [c.nHeads * c.headDim, c.dim]),
    ...perLayer(c, 'self_attn.k_proj.weight', [kv, c.dim]),
    ...perLayer(c, 'self_attn.v_proj.weight', [kv, c.dim]),
    ...perLayer(c, 'self_attn.o_proj.weight', [c.dim, c.nHeads * c.headDim]),
  ];
  const ffn = [
    ...perLayer(c, 'mlp.gate_proj.weight', [c.hiddenDim, c.dim]),
    ...perLayer(c, 'mlp.down_proj.weight', [c.dim, c.hiddenDim]),
    ...perLayer(c, 'mlp.up_proj.weight', [c.hiddenDim, c.dim]),
  ];
  const embed = { name: 'model.embed_tokens.weight', shape: [c.vocabSize, c.dim] };
  const head = c.tiedEmbeddings ? [] : [{ name: 'lm_head.weight', shape: [c.vocabSize, c.dim] }];
  if (h.version === 1) return [...norms.att, ...norms.ffn, ...norms.final, embed, ...mats, ...ffn, ...head];
  const freqs = { name: 'freq_cis', shape: [2, c.maxSeqLen, c.headDim / 2], skip: true };
  return [embed, ...norms.att, ...mats, ...norms.ffn, ...ffn, ...norms.final, freqs, ...head];
}

/** Reads config and tensors of a llama2.c checkpoint (legacy v0 or v1 'ak42', float32). */
export function readLlama2cCheckpoint(path: string): { config: ModelConfig; tensors: TensorMap } {
  const head = withFile(path, (fd) => readFileBytes(fd, 0, 256));
  const header = parseHeader(path, head);
  const slots = layout(header);
  let offset = header.dataOffset;
  const regions = slots.map((s) => {
    const r = { offset, length: 4 * s.shape.reduce((a, b) => a * b, 1) };
    offset += r.length;
    return r;
  });
  const kept = slots.map((s, i) => ({ s, r: regions[i] })).filter((x) => !x.s.skip);
  const views = readFileRegions(
    path,
    kept.map((x) => x.r),
  );
  const tensors: TensorMap = new Map();
  kept.forEach((x, i) => {
    tensors.set(x.s.name, { dtype: 'f32', shape: x.s.shape, data: views[i] });
  });
  return { config: header.config, tensors };
}

/** Loads a llama2.c checkpoint with its tokenizer .bin (vocab size taken from the checkpoint). */
export function loadLlama2cModel(path: string, tokenizerPath: string): LoadedModel {
  const { config, tensors } = readLlama2cCheckpoint(path);
  const tokenizer = readLlama2cTokenizer(tokenizerPath, config.vocabSize);
  return { source: { path, format: 'llama2c' }, config, tensors, tokenizer };
}
