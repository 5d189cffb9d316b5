// The sampling driver of sampling.h: one item per task on the global thread pool. Per item:
// greedy argmax, or max -> min_p threshold -> top_k cutoff -> weights exp((x - max) / t) with
// per-block sums -> top_p cutoff (weights recomputed for the nucleus) -> a walk in ascending id
// order to the first token whose cumulative weight exceeds u * total. Then the raw-row logprobs.
#include "kernels/sampling.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cpu-features.h"
#include "kernels/sampling-kernels.h"
#include "kernels/sampling-select.h"
#include "runtime/thread-pool.h"

namespace pds {

const SamplingKernels& samplingKernels() {
  static const SamplingKernels* k =
      kernelIsa() == "avx512" ? &avx512SamplingKernels() : &portableSamplingKernels();
  return *k;
}

const char* samplingIsa() { return samplingKernels().isa; }

namespace {

/// vLLM's greedy epsilon: below it a temperature means argmax.
constexpr double kGreedyTemperature = 1e-5;

struct Scratch {
  std::vector<float> w, blockSums;
  SelectScratch select;
  explicit Scratch(int64_t n) : w(n), blockSums((n + kSampleBlock - 1) / kSampleBlock) {}
};

/// The smallest float >= t (so x >= result <=> x >= t for every float x), at least -FLT_MAX so
/// that -inf is never kept.
float floatAtLeast(double t) {
  if (!(t > -static_cast<double>(FLT_MAX))) return -FLT_MAX;
  float f = static_cast<float>(t);
  if (static_cast<double>(f) < t) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

/// The first token whose cumulative weight exceeds target, skipping whole blocks by their sums.
int32_t walk(const float* w, const float* blockSums, int64_t n, double target) {
  double cum = 0;
  for (int64_t b = 0; b < n; b += kSampleBlock) {
    const double next = cum + blockSums[b / kSampleBlock];
    if (next <= target) {
      cum = next;
      continue;
    }
    const int64_t e = std::min(n, b + kSampleBlock);
    for (int64_t i = b; i < e; i++) {
      cum += w[i];
      if (cum > target) return static_cast<int32_t>(i);
    }
  }
  // Rounding left u * total at or past the end: the last kept token.
  for (int64_t i = n - 1; i >= 0; i--)
    if (w[i] > 0) return static_cast<int32_t>(i);
  return 0;
}

int32_t argmaxRow(const SamplingKernels& K, const float* x, int64_t n) {
  const int64_t i = K.findFirst(x, n, K.maxRow(x, n));
  return static_cast<int32_t>(i < n ? i : 0);
}

int32_t sampleRandom(const SamplingKernels& K, const SamplingBatch& b, int64_t item, const float* x, Scratch& s) {
  const int64_t n = b.vocabSize;
  const float max = K.maxRow(x, n);
  if (max == -std::numeric_limits<float>::infinity()) return 0;
  const double t = b.temperature[item];
  const double minP = b.minP[item];
  Cutoff keep{minP > 0 ? floatAtLeast(max + t * std::log(minP)) : -FLT_MAX, n};
  if (b.topK[item] > 0) keep = selectTopK(K, x, n, b.topK[item], keep, s.select);
  const float invT = static_cast<float>(1.0 / t);
  double total = K.expWeights(x, n, max, invT, keep.cut, keep.cutId, s.w.data(), s.blockSums.data());
  if (b.topP[item] < 1) {
    const Cutoff nucleus = selectNucleus(K, x, n, s.w.data(), b.topP[item] * total, keep, max, invT, s.select);
    if (nucleus.cut != keep.cut || nucleus.cutId != keep.cutId)
      total = K.expWeights(x, n, max, invT, nucleus.cut, nucleus.cutId, s.w.data(), s.blockSums.data());
  }
  return walk(s.w.data(), s.blockSums.data(), n, b.uniforms[item] * total);
}

void logprobs(const SamplingKernels& K, const SamplingBatch& b, int64_t item, const float* raw,
              const SamplingResult& out, Scratch& s) {
  const int64_t n = b.vocabSize;
  const int32_t token = out.tokenIds[item];
  const float max = K.maxRow(raw, n);
  out.logZ[item] = max == -std::numeric_limits<float>::infinity()
                       ? max
                       : static_cast<double>(max) + std::log(K.sumExp(raw, n, max));
  out.ranks[item] = static_cast<int32_t>(K.countAtLeast(raw, n, raw[token]));
  const int64_t k = b.numLogprobs[item];
  if (k <= 0) return;
  bestSorted(K, raw, n, k, Cutoff{-std::numeric_limits<float>::infinity(), n}, s.select);
  int32_t* top = out.topIds + item * b.maxLogprobs;
  for (size_t j = 0; j < s.select.cands.size(); j++) top[j] = s.select.cands[j].id;
}

void sampleItem(const SamplingKernels& K, const SamplingBatch& b, int64_t item, const SamplingResult& out,
                Scratch& s) {
  const int64_t n = b.vocabSize;
  const float* raw = b.logits + static_cast<int64_t>(b.rows[item]) * n;
  const int32_t p = b.processedRows[item];
  const float* x = p >= 0 ? b.processed + static_cast<int64_t>(p) * n : raw;
  out.tokenIds[item] =
      b.temperature[item] < kGreedyTemperature ? argmaxRow(K, x, n) : sampleRandom(K, b, item, x, s);
  std::fill_n(out.topIds + item * b.maxLogprobs, b.maxLogprobs, -1);
  if (b.numLogprobs[item] >= 0) logprobs(K, b, item, raw, out, s);
}

}  // namespace

void sampleBatch(const SamplingBatch& batch, const SamplingResult& out) {
  const SamplingKernels& K = samplingKernels();
  ThreadPool::global().parallelFor(
      batch.numItems,
      [&](int64_t begin, int64_t end, int) {
        Scratch s(batch.vocabSize);
        for (int64_t i = begin; i < end; i++) sampleItem(K, batch, i, out, s);
      },
      1);
}

}  // namespace pds
