const GLOBAL: [string, string][] = [
  ['token_embd.weight', 'model.embed_tokens.weight'],
  ['output_norm.weight', 'model.norm.weight'],
  ['output.weight', 'lm_head.weight'],
];
const LAYER: [string, string][] = [
  ['attn_norm.weight', 'input_layernorm.weight'],
  ['attn_q.weight', 'self_attn.q_proj.weight'],
  ['attn_k.weight', 'self_attn.k_proj.weight'],
  ['attn_v.weight', 'self_attn.v_proj.weight'],
  ['attn_q.bias', 'self_attn.q_proj.bias'],
  ['attn_k.bias', 'self_attn.k_proj.bias'],
  ['attn_v.bias', 'self_attn.v_proj.bias'],
  ['attn_output.weight', 'self_attn.o_proj.weight'],
  ['ffn_norm.weight', 'post_attention_layernorm.weight'],
  ['ffn_gate.weight', 'mlp.gate_proj.weight'],
  ['ffn_up.weight', 'mlp.up_proj.weight'],
  ['ffn_down.weight', 'mlp.down_proj.weight'],
];
const GGUF_LAYER = /^blk\.(\d+)\.(.+)$/;
const HF_LAYER = /^model\.layers\.(\d+)\.(.+)$/;

/** Tensor names between GGUF (llama.cpp) and Hugging Face; undefined for names outside the Llama family. */
export const GgufNames = {
  toHf(name: string): string | undefined {
    const global = GLOBAL.find(([g]) => g === name);
    if (global) return global[1];
    const m = GGUF_LAYER.exec(name);
    const pair = m && LAYER.find(([g]) => g === m[2]);
    return pair ? `model.layers.${m[1]}.${pair[1]}` : undefined;
  },

  fromHf(name: string): string | undefined {
    const global = GLOBAL.find(([, h]) => h === name);
    if (global) return global[0];
    const m = HF_LAYER.exec(name);
    const pair = m && LAYER.find(([, h]) => h === m[2]);
    return pair ? `blk.${m[1]}.${pair[0]}` : undefined;
  },
};
