// Test helper: a tiny random Llama-family model as the loaders hand it over (HF names).
import { encodeHalf } from '../dtype-convert.js';
import type { NativeModelConfig, NativeTensor } from '../transformer.js';
import type { TestRandom } from './random.js';

/** Random tensors for config: projections ~ N(0, 1/fan_in), norms ~ 1 + N(0, 0.1^2), biases ~ N(0, 0.1^2). */
export function randomModel(
  config: NativeModelConfig,
  rng: TestRandom,
  dtype: 'f32' | 'bf16' | 'f16' = 'f32',
): Map<string, NativeTensor> {
  const c = config;
  const m = new Map<string, NativeTensor>();
  const put = (name: string, shape: number[], values: Float32Array) => {
    const data = dtype === 'f32' ? new Uint8Array(values.buffer) : encodeHalf(values, dtype);
    m.set(name, { dtype, shape, data });
  };
  const matrix = (name: string, n: number, k: number) =>
    put(name, [n, k], rng.normals(n * k, 1 / Math.sqrt(k)));
  const vector = (name: string, n: number, base: number) =>
    put(
      name,
      [n],
      rng.normals(n, 0.1).map((x) => base + x),
    );
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  matrix('model.embed_tokens.weight', c.vocabSize, c.dim);
  vector('model.norm.weight', c.dim, 1);
  if (!c.tiedEmbeddings) matrix('lm_head.weight', c.vocabSize, c.dim);
  for (let i = 0; i < c.nLayers; i++) {
    const p = `model.layers.${i}.`;
    vector(`${p}input_layernorm.weight`, c.dim, 1);
    vector(`${p}post_attention_layernorm.weight`, c.dim, 1);
    matrix(`${p}self_attn.q_proj.weight`, q, c.dim);
    matrix(`${p}self_attn.k_proj.weight`, kv, c.dim);
    matrix(`${p}self_attn.v_proj.weight`, kv, c.dim);
    matrix(`${p}self_attn.o_proj.weight`, c.dim, q);
    if (c.qkvBias) {
      vector(`${p}self_attn.q_proj.bias`, q, 0);
      vector(`${p}self_attn.k_proj.bias`, kv, 0);
      vector(`${p}self_attn.v_proj.bias`, kv, 0);
    }
    matrix(`${p}mlp.gate_proj.weight`, c.hiddenDim, c.dim);
    matrix(`${p}mlp.up_proj.weight`, c.hiddenDim, c.dim);
    matrix(`${p}mlp.down_proj.weight`, c.dim, c.hiddenDim);
  }
  return m;
}
