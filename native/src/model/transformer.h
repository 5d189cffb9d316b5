// The Llama-family decoder (Llama, Mistral, Qwen2: GQA, tied embeddings, qkv bias, RoPE
// variants) run over one flattened batch that mixes prefill chunks and decode tokens.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/linear.h"
#include "kernels/ops.h"

namespace pds {

struct ModelConfig {
  int64_t dim = 0, hiddenDim = 0, layers = 0, heads = 0, kvHeads = 0, headDim = 0, vocab = 0;
  int64_t maxSeqLen = 0;
  int64_t rotDim = 0;  // dims of each head that RoPE rotates (= headDim unless partial)
  float normEps = 1e-5f, ropeTheta = 10000.f;
  RopeStyle ropeStyle = RopeStyle::Neox;
  std::vector<float> invFreq;  // optional, rotDim/2 values with RoPE scaling folded in
  bool tiedEmbeddings = false;
  bool qkvBias = false;
};

/// One source tensor as the loader hands it over (HF names, row-major [out][in]).
struct TensorRef {
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;
};
/// Returns the tensor of that name or throws std::invalid_argument naming it.
using TensorLookup = std::function<TensorRef(const std::string& name)>;

/// One step's flattened batch. tokens rows; rows whose logits are wanted are listed in
/// logitsRows (the last row of each sequence that samples, or every row for prompt_logprobs).
struct ForwardBatch {
  int64_t tokens = 0;
  const int32_t* tokenIds = nullptr;
  const int32_t* positions = nullptr;
  const int32_t* slotMapping = nullptr;  // [tokens], -1 = do not store
  AttentionBatch attn{};
  int64_t numLogits = 0;
  const int32_t* logitsRows = nullptr;
};

class Transformer {
 public:
  /// Reads tensors by HF name: model.embed_tokens.weight, model.norm.weight, lm_head.weight
  /// (absent when tied), model.layers.{i}.{input_layernorm,post_attention_layernorm}.weight,
  /// model.layers.{i}.self_attn.{q,k,v,o}_proj.weight (+ q,k,v .bias when qkvBias),
  /// model.layers.{i}.mlp.{gate,up,down}_proj.weight. Projections are stored as `store`
  /// (norms and biases stay f32; the embedding table keeps `store` too).
  Transformer(const ModelConfig& config, const TensorLookup& lookup, DType store);
  ~Transformer();

  /// Runs all layers, writing this batch's K/V into the pool, and fills
  /// logits[numLogits][vocab]. Blocks the calling thread (call it off the JS thread).
  /// Throws std::out_of_range / std::invalid_argument (checkForwardBatch) before touching
  /// anything. Calls are serialized by a mutex: they share activation scratch that grows to
  /// the largest batch seen, 4 * tokens * (3 * dim + 2 * (heads + kvHeads) * headDim +
  /// 2 * hiddenDim) bytes, and is never shrunk.
  void forward(const ForwardBatch& batch, void* kvPool, const KvLayout& layout, float* logits);

  const ModelConfig& config() const { return config_; }
  /// Bytes of weights read for one token at batch 1 (for the bandwidth floor).
  size_t weightBytesPerToken() const;

  struct Impl;

 private:
  ModelConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pds
