#include "model/model-weights.h"

#include <stdexcept>
#include <string>

namespace pds {
namespace {

std::string shapeString(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); i++) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

TensorRef need(const TensorLookup& lookup, const std::string& name, const std::vector<int64_t>& shape) {
  TensorRef t = lookup(name);
  if (t.shape != shape)
    throw std::invalid_argument(name + ": expected shape " + shapeString(shape) + ", got " + shapeString(t.shape));
  if (!t.data) throw std::invalid_argument(name + ": no data");
  return t;
}

/// A 1-D f32 / f16 / bf16 tensor as f32.
std::vector<float> loadVector(const TensorLookup& lookup, const std::string& name, int64_t n) {
  TensorRef t = need(lookup, name, {n});
  std::vector<float> out(n);
  const auto* h = static_cast<const uint16_t*>(t.data);
  for (int64_t i = 0; i < n; i++) {
    switch (t.dtype) {
      case DType::F32: out[i] = static_cast<const float*>(t.data)[i]; break;
      case DType::F16: out[i] = f16ToF32(h[i]); break;
      case DType::BF16: out[i] = bf16ToF32(h[i]); break;
      default: throw std::invalid_argument(name + ": a norm or bias must be f32, f16 or bf16");
    }
  }
  return out;
}

std::unique_ptr<Linear> loadLinear(const TensorLookup& lookup, const std::string& name, int64_t n, int64_t k,
                                   DType store) {
  TensorRef t = need(lookup, name, {n, k});
  try {
    return std::make_unique<Linear>(n, k, t.dtype, t.data, store);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(name + ": " + e.what());
  }
}

LayerWeights loadLayer(const ModelConfig& c, const TensorLookup& lookup, int64_t i, DType store) {
  const std::string p = "model.layers." + std::to_string(i) + ".";
  const int64_t qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim;
  LayerWeights w;
  w.inputNorm = loadVector(lookup, p + "input_layernorm.weight", c.dim);
  w.postNorm = loadVector(lookup, p + "post_attention_layernorm.weight", c.dim);
  w.q = loadLinear(lookup, p + "self_attn.q_proj.weight", qDim, c.dim, store);
  w.k = loadLinear(lookup, p + "self_attn.k_proj.weight", kvDim, c.dim, store);
  w.v = loadLinear(lookup, p + "self_attn.v_proj.weight", kvDim, c.dim, store);
  w.o = loadLinear(lookup, p + "self_attn.o_proj.weight", c.dim, qDim, store);
  if (c.qkvBias) {
    w.qBias = loadVector(lookup, p + "self_attn.q_proj.bias", qDim);
    w.kBias = loadVector(lookup, p + "self_attn.k_proj.bias", kvDim);
    w.vBias = loadVector(lookup, p + "self_attn.v_proj.bias", kvDim);
  }
  w.gate = loadLinear(lookup, p + "mlp.gate_proj.weight", c.hiddenDim, c.dim, store);
  w.up = loadLinear(lookup, p + "mlp.up_proj.weight", c.hiddenDim, c.dim, store);
  w.down = loadLinear(lookup, p + "mlp.down_proj.weight", c.dim, c.hiddenDim, store);
  return w;
}

void positive(int64_t v, const char* name) {
  if (v <= 0) throw std::invalid_argument(std::string("model config: ") + name + " must be positive");
}

}  // namespace

ModelConfig normalizeConfig(ModelConfig c) {
  positive(c.dim, "dim");
  positive(c.hiddenDim, "hiddenDim");
  positive(c.layers, "layers");
  positive(c.heads, "heads");
  positive(c.kvHeads, "kvHeads");
  positive(c.headDim, "headDim");
  positive(c.vocab, "vocab");
  positive(c.maxSeqLen, "maxSeqLen");
  if (c.heads % c.kvHeads) throw std::invalid_argument("model config: heads must be a multiple of kvHeads");
  if (c.rotDim == 0) c.rotDim = c.headDim;
  if (c.rotDim < 0 || c.rotDim > c.headDim || c.rotDim % 2)
    throw std::invalid_argument("model config: rotDim must be even and in (0, headDim]");
  if (!c.invFreq.empty() && static_cast<int64_t>(c.invFreq.size()) != c.rotDim / 2)
    throw std::invalid_argument("model config: invFreq needs rotDim / 2 = " + std::to_string(c.rotDim / 2) +
                                " values, got " + std::to_string(c.invFreq.size()));
  if (!(c.normEps > 0)) throw std::invalid_argument("model config: normEps must be positive");
  return c;
}

ModelWeights loadModelWeights(const ModelConfig& c, const TensorLookup& lookup, DType store) {
  ModelWeights w;
  w.embed = loadLinear(lookup, "model.embed_tokens.weight", c.vocab, c.dim, store);
  w.norm = loadVector(lookup, "model.norm.weight", c.dim);
  if (!c.tiedEmbeddings) w.lmHead = loadLinear(lookup, "lm_head.weight", c.vocab, c.dim, store);
  for (int64_t i = 0; i < c.layers; i++) w.layers.push_back(loadLayer(c, lookup, i, store));
  return w;
}

size_t ModelWeights::bytesPerToken() const {
  size_t bytes = head().weightBytes() + norm.size() * 4;
  for (const LayerWeights& l : layers) {
    for (const Linear* p : {l.q.get(), l.k.get(), l.v.get(), l.o.get(), l.gate.get(), l.up.get(), l.down.get()})
      bytes += p->weightBytes();
    bytes += (l.inputNorm.size() + l.postNorm.size() + l.qBias.size() + l.kBias.size() + l.vBias.size()) * 4;
  }
  return bytes;
}

}  // namespace pds
