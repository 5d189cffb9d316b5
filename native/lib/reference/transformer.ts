// A straightforward TypeScript forward pass of the Llama-family decoder, one token at a time,
// with contiguous per-sequence K/V: the exact side of the native Transformer tests.
import { bf16ToF32, f32ToBf16 } from '../dtype-convert.js';
import type { KvDtype } from '../kv-pool.js';
import type { LinearStore } from '../linear.js';
import type { NativeModelConfig, NativeTensor } from '../transformer.js';
import { decodeSource, storedWeights } from './matmul.js';
import { refAttention, refRmsnorm, refRope, refSwiglu } from './ops.js';

/** A projection [n][k] as the native side stores it, dequantized to f32. */
interface RefLinear {
  w: Float32Array;
  n: number;
  k: number;
  bias?: Float32Array;
}

interface RefLayer {
  inputNorm: Float32Array;
  postNorm: Float32Array;
  q: RefLinear;
  k: RefLinear;
  v: RefLinear;
  o: RefLinear;
  gate: RefLinear;
  up: RefLinear;
  down: RefLinear;
}

/** One sequence's cache: per layer, K and V of every position so far ([pos][kvHeads][headDim]). */
export class RefKvCache {
  readonly k: number[][];
  readonly v: number[][];
  length = 0;

  constructor(layers: number) {
    this.k = Array.from({ length: layers }, () => []);
    this.v = Array.from({ length: layers }, () => []);
  }
}

function matvec(p: RefLinear, x: Float32Array): Float32Array {
  const y = new Float32Array(p.n);
  for (let r = 0; r < p.n; r++) {
    let s = p.bias ? p.bias[r] : 0;
    for (let j = 0; j < p.k; j++) s += p.w[r * p.k + j] * x[j];
    y[r] = s;
  }
  return y;
}

function addInto(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] += y[i];
}

export class RefTransformer {
  private readonly embed: RefLinear;
  private readonly head: RefLinear;
  private readonly norm: Float32Array;
  private readonly layers: RefLayer[] = [];

  constructor(
    readonly config: NativeModelConfig,
    tensors: Map<string, NativeTensor>,
    store: LinearStore,
    private readonly kvDtype: KvDtype = 'f32',
  ) {
    const c = config;
    const get = (name: string) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`missing ${name}`);
      return t;
    };
    const linear = (name: string, n: number, k: number, bias?: string): RefLinear => ({
      w: storedWeights(get(name).data, get(name).dtype, store),
      n,
      k,
      bias: bias ? this.vector(get(bias)) : undefined,
    });
    this.embed = linear('model.embed_tokens.weight', c.vocabSize, c.dim);
    this.head = c.tiedEmbeddings ? this.embed : linear('lm_head.weight', c.vocabSize, c.dim);
    this.norm = this.vector(get('model.norm.weight'));
    const q = c.nHeads * c.headDim;
    const kv = c.nKvHeads * c.headDim;
    for (let i = 0; i < c.nLayers; i++) {
      const p = `model.layers.${i}.`;
      const bias = (x: string) => (c.qkvBias ? `${p}self_attn.${x}_proj.bias` : undefined);
      this.layers.push({
        inputNorm: this.vector(get(`${p}input_layernorm.weight`)),
        postNorm: this.vector(get(`${p}post_attention_layernorm.weight`)),
        q: linear(`${p}self_attn.q_proj.weight`, q, c.dim, bias('q')),
        k: linear(`${p}self_attn.k_proj.weight`, kv, c.dim, bias('k')),
        v: linear(`${p}self_attn.v_proj.weight`, kv, c.dim, bias('v')),
        o: linear(`${p}self_attn.o_proj.weight`, c.dim, q),
        gate: linear(`${p}mlp.gate_proj.weight`, c.hiddenDim, c.dim),
        up: linear(`${p}mlp.up_proj.weight`, c.hiddenDim, c.dim),
        down: linear(`${p}mlp.down_proj.weight`, c.dim, c.hiddenDim),
      });
    }
  }

  private vector(t: NativeTensor): Float32Array {
    return decodeSource(t.data, t.dtype);
  }

  newCache(): RefKvCache {
    return new RefKvCache(this.config.nLayers);
  }

  /** Appends tokens to the sequence in cache and returns the logits of each of them. */
  forward(cache: RefKvCache, tokens: ArrayLike<number>): Float32Array[] {
    return Array.from(tokens, (t) => this.forwardToken(cache, t));
  }

  private forwardToken(cache: RefKvCache, token: number): Float32Array {
    const c = this.config;
    const x = this.embed.w.slice(token * c.dim, (token + 1) * c.dim);
    const pos = cache.length++;
    this.layers.forEach((w, l) => {
      addInto(x, this.attention(w, l, cache, pos, refRmsnorm(x, w.inputNorm, 1, c.dim, c.normEps)));
      const xn = refRmsnorm(x, w.postNorm, 1, c.dim, c.normEps);
      addInto(x, matvec(w.down, refSwiglu(matvec(w.gate, xn), matvec(w.up, xn))));
    });
    return matvec(this.head, refRmsnorm(x, this.norm, 1, c.dim, c.normEps));
  }

  private attention(w: RefLayer, l: number, cache: RefKvCache, pos: number, xn: Float32Array): Float32Array {
    const c = this.config;
    const rope = { rotDim: c.rotDim, theta: c.ropeTheta, style: c.ropeStyle, invFreq: c.invFreq };
    const at = Int32Array.of(pos);
    const q = refRope(matvec(w.q, xn), at, c.nHeads, c.headDim, rope);
    const k = refRope(matvec(w.k, xn), at, c.nKvHeads, c.headDim, rope);
    const v = matvec(w.v, xn);
    const round = (a: Float32Array) => (this.kvDtype === 'bf16' ? a.map((e) => bf16ToF32(f32ToBf16(e))) : a);
    cache.k[l].push(...round(k));
    cache.v[l].push(...round(v));
    const keys = Float32Array.from(cache.k[l]);
    const values = Float32Array.from(cache.v[l]);
    const att = refAttention(
      q,
      keys,
      values,
      1,
      pos,
      c.nHeads,
      c.nKvHeads,
      c.headDim,
      1 / Math.sqrt(c.headDim),
    );
    return matvec(w.o, att);
  }
}
