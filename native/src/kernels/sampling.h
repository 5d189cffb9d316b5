// Batched token sampling over rows of logits: greedy, or temperature -> min_p -> top_k -> top_p
// -> one draw with a caller-supplied uniform, plus the raw-logit logprobs a request asked for.
// The engine's TypeScript Sampler is the reference; both walk the kept tokens in ascending id
// order, so the same uniform picks the same token (up to float rounding at a CDF boundary).
#pragma once
#include <cstdint>

namespace pds {

/// One batch of rows to sample. Item i samples from `processed` row processedRows[i] when that is
/// >= 0 (logits with penalties / bias / masks applied), else from `logits` row rows[i]; its
/// logprobs are always of the raw `logits` row rows[i].
struct SamplingBatch {
  int64_t numItems;
  int64_t vocabSize;
  const float* logits;          // [*][vocabSize]
  const float* processed;       // [*][vocabSize] or null
  const int32_t* rows;          // [numItems]
  const int32_t* processedRows; // [numItems], -1 = sample from the raw row
  const double* temperature;    // [numItems], < 1e-5 = greedy (first argmax)
  const int32_t* topK;          // [numItems], <= 0 = off
  const double* topP;           // [numItems], in (0, 1]; 1 = off
  const double* minP;           // [numItems], in [0, 1]; 0 = off
  const double* uniforms;       // [numItems], in [0, 1); ignored for greedy items
  const int32_t* numLogprobs;   // [numItems], -1 = none, k >= 0 = the chosen token and the top k
  int64_t maxLogprobs;          // max(numLogprobs), >= 0
};

/// Per-item results. topIds is [numItems][maxLogprobs] (best first, ties by lower id; unused
/// entries -1); logZ (log-sum-exp of the raw row) and ranks are set for items with numLogprobs >= 0.
struct SamplingResult {
  int32_t* tokenIds;
  double* logZ;
  int32_t* ranks;
  int32_t* topIds;
};

/// Samples every item on the global thread pool; blocks until done. Dispatches on kernelIsa().
void sampleBatch(const SamplingBatch& batch, const SamplingResult& out);

/// The ISA the sampling kernels use in this process.
const char* samplingIsa();

}  // namespace pds
