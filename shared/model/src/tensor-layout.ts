import { ModelFormatError } from './model-format-error.js';
import type { ModelConfig, TensorMap } from './types.js';

/** The HF-named tensors a config requires, with their [out][in] shapes, in a canonical order. */
export function expectedTensors(c: ModelConfig): Map<string, number[]> {
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const out = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocabSize, c.dim]]]);
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}.`;
    out.set(`${p}input_layernorm.weight`, [c.dim]);
    out.set(`${p}self_attn.q_proj.weight`, [q, c.dim]);
    out.set(`${p}self_attn.k_proj.weight`, [kv, c.dim]);
    out.set(`${p}self_attn.v_proj.weight`, [kv, c.dim]);
    if (c.qkvBias) {
      out.set(`${p}self_attn.q_proj.bias`, [q]);
      out.set(`${p}self_attn.k_proj.bias`, [kv]);
      out.set(`${p}self_attn.v_proj.bias`, [kv]);
    }
    out.set(`${p}self_attn.o_proj.weight`, [c.dim, q]);
    out.set(`${p}post_attention_layernorm.weight`, [c.dim]);
    out.set(`${p}mlp.gate_proj.weight`, [c.hiddenDim, c.dim]);
    out.set(`${p}mlp.up_proj.weight`, [c.hiddenDim, c.dim]);
    out.set(`${p}mlp.down_proj.weight`, [c.dim, c.hiddenDim]);
  }
  out.set('model.norm.weight', [c.dim]);
  if (!c.tiedEmbeddings) out.set('lm_head.weight', [c.vocabSize, c.dim]);
  return out;
}

/**
 * Checks that `tensors` holds every tensor the config needs with the right shape and returns them in
 * canonical order (extra tensors, such as HF's rotary inv_freq buffers, are dropped).
 */
export function checkTensors(path: string, c: ModelConfig, tensors: TensorMap): TensorMap {
  const out: TensorMap = new Map();
  for (const [name, shape] of expectedTensors(c)) {
    const t = tensors.get(name);
    if (!t) throw new ModelFormatError(path, 'missing-tensor', `tensor ${name} is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFormatError(
        path,
        'shape-mismatch',
        `tensor ${name} has shape [${t.shape}], expected [${shape}]`,
      );
    }
    out.set(name, t);
  }
  return out;
}
