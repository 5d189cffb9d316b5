// The Llama-family decoder forward over one flattened batch (see transformer.h): embedding,
// per layer rmsnorm -> q/k/v (+bias) -> rope -> writeKv -> pagedAttention -> o_proj ->
// residual -> rmsnorm -> gate/up -> swiglu -> down -> residual, then the final norm and the
// head on the logits rows only.
#include "model/transformer.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>

#include "model/batch-check.h"
#include "model/model-weights.h"
#include "runtime/thread-pool.h"

namespace pds {
namespace {

/// Activations of one call, grown to the largest batch seen and reused (never shrunk).
struct Scratch {
  std::vector<float> x, xn, q, k, v, att, tmp, gate, up, last;

  void fit(const ModelConfig& c, int64_t tokens, int64_t logits) {
    auto grow = [](std::vector<float>& b, int64_t n) {
      if (static_cast<int64_t>(b.size()) < n) b.resize(n);
    };
    for (auto* b : {&x, &xn, &tmp}) grow(*b, tokens * c.dim);
    for (auto* b : {&q, &att}) grow(*b, tokens * c.heads * c.headDim);
    for (auto* b : {&k, &v}) grow(*b, tokens * c.kvHeads * c.headDim);
    for (auto* b : {&gate, &up}) grow(*b, tokens * c.hiddenDim);
    grow(last, logits * c.dim);
  }
};

void addInto(float* x, const float* y, int64_t n) {
  constexpr int64_t kChunk = 4096;
  ThreadPool::global().parallelFor(
      (n + kChunk - 1) / kChunk,
      [&](int64_t b, int64_t e, int) {
        for (int64_t i = b * kChunk; i < std::min(n, e * kChunk); i++) x[i] += y[i];
      },
      8);
}

const float* biasOf(const std::vector<float>& b) { return b.empty() ? nullptr : b.data(); }

/// x += o_proj(attention(rope(q), rope(k), v)) for one layer; writes this batch's K/V.
void attentionBlock(const ModelConfig& c, const LayerWeights& w, int64_t layer, const ForwardBatch& b, void* pool,
                    const KvLayout& layout, Scratch& s) {
  const int64_t t = b.tokens;
  rmsnorm(s.x.data(), w.inputNorm.data(), t, c.dim, c.normEps, s.xn.data());
  w.q->forward(s.xn.data(), t, s.q.data(), biasOf(w.qBias));
  w.k->forward(s.xn.data(), t, s.k.data(), biasOf(w.kBias));
  w.v->forward(s.xn.data(), t, s.v.data(), biasOf(w.vBias));
  const float* inv = c.invFreq.empty() ? nullptr : c.invFreq.data();
  rope(s.q.data(), b.positions, t, c.heads, c.headDim, c.rotDim, c.ropeTheta, c.ropeStyle, inv);
  rope(s.k.data(), b.positions, t, c.kvHeads, c.headDim, c.rotDim, c.ropeTheta, c.ropeStyle, inv);
  writeKv(pool, layout, layer, s.k.data(), s.v.data(), b.slotMapping, t);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.headDim)));
  pagedAttention(s.q.data(), pool, layout, layer, b.attn, c.heads, scale, s.att.data());
  w.o->forward(s.att.data(), t, s.tmp.data());
  addInto(s.x.data(), s.tmp.data(), t * c.dim);
}

/// x += down(silu(gate(xn)) * up(xn)), xn = rmsnorm(x).
void mlpBlock(const ModelConfig& c, const LayerWeights& w, int64_t tokens, Scratch& s) {
  rmsnorm(s.x.data(), w.postNorm.data(), tokens, c.dim, c.normEps, s.xn.data());
  w.gate->forward(s.xn.data(), tokens, s.gate.data());
  w.up->forward(s.xn.data(), tokens, s.up.data());
  swiglu(s.gate.data(), s.up.data(), tokens * c.hiddenDim, s.gate.data());
  w.down->forward(s.gate.data(), tokens, s.tmp.data());
  addInto(s.x.data(), s.tmp.data(), tokens * c.dim);
}

}  // namespace

struct Transformer::Impl {
  ModelWeights w;
  std::mutex mu;  // forward() calls are serialized: they share the scratch below
  Scratch s;
};

Transformer::Transformer(const ModelConfig& config, const TensorLookup& lookup, DType store)
    : config_(normalizeConfig(config)), impl_(new Impl) {
  if (store != DType::F32 && store != DType::BF16 && store != DType::Q8_0)
    throw std::invalid_argument("Transformer: store must be f32, bf16 or q8_0");
  impl_->w = loadModelWeights(config_, lookup, store);
}

Transformer::~Transformer() = default;

void Transformer::forward(const ForwardBatch& b, void* kvPool, const KvLayout& layout, float* logits) {
  const ModelConfig& c = config_;
  checkKvLayoutFor(c, layout);
  checkForwardBatch(c, layout, b);
  std::lock_guard<std::mutex> lock(impl_->mu);
  const ModelWeights& w = impl_->w;
  Scratch& s = impl_->s;
  s.fit(c, b.tokens, b.numLogits);
  ThreadPool::global().parallelFor(
      b.tokens,
      [&](int64_t lo, int64_t hi, int) {
        for (int64_t t = lo; t < hi; t++) w.embed->row(b.tokenIds[t], s.x.data() + t * c.dim);
      },
      16);
  for (int64_t l = 0; l < c.layers; l++) {
    attentionBlock(c, w.layers[l], l, b, kvPool, layout, s);
    mlpBlock(c, w.layers[l], b.tokens, s);
  }
  if (b.numLogits == 0) return;
  for (int64_t i = 0; i < b.numLogits; i++)
    std::copy_n(s.x.data() + b.logitsRows[i] * c.dim, c.dim, s.last.data() + i * c.dim);
  rmsnorm(s.last.data(), w.norm.data(), b.numLogits, c.dim, c.normEps, s.last.data());
  w.head().forward(s.last.data(), b.numLogits, logits);
}

size_t Transformer::weightBytesPerToken() const { return impl_->w.bytesPerToken(); }

}  // namespace pds
