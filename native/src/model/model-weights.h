// The decoder's weights as the Transformer keeps them: one Linear per projection (in the
// `store` dtype), norms and biases as f32. Loading checks every shape against the config.
#pragma once
#include <memory>
#include <vector>

#include "kernels/linear.h"
#include "model/transformer.h"

namespace pds {

struct LayerWeights {
  std::vector<float> inputNorm, postNorm;
  std::vector<float> qBias, kBias, vBias;  // empty without qkvBias
  std::unique_ptr<Linear> q, k, v, o, gate, up, down;
};

struct ModelWeights {
  std::unique_ptr<Linear> embed;
  std::unique_ptr<Linear> lmHead;  // null when tied: the embedding is the head
  std::vector<float> norm;
  std::vector<LayerWeights> layers;

  const Linear& head() const { return lmHead ? *lmHead : *embed; }
  size_t bytesPerToken() const;
};

/// Throws std::invalid_argument naming the field when the config is inconsistent; fills
/// rotDim = headDim when it is 0.
ModelConfig normalizeConfig(ModelConfig c);

/// Reads every tensor transformer.h lists via lookup and converts it.
ModelWeights loadModelWeights(const ModelConfig& c, const TensorLookup& lookup, DType store);

}  // namespace pds
