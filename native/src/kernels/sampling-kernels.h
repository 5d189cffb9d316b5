// Per-ISA inner loops of sampling.h: the O(vocab) passes worth vectorising. The driver in
// sampling.cc owns threading, selection (top-k heap, top-p quickselect) and the final walk.
#pragma once
#include <cstdint>

namespace pds {

/// Weights are summed per block of this many tokens so the walk can skip whole blocks.
constexpr int64_t kSampleBlock = 16;

/// One ISA's sampling loops. Single-threaded, no alignment needed.
struct SamplingKernels {
  const char* isa;
  /// Largest value of x[0, n); -inf when every value is -inf.
  float (*maxRow)(const float* x, int64_t n);
  /// Index of the first i with x[i] == v, or n.
  int64_t (*findFirst)(const float* x, int64_t n, float v);
  /// Kept tokens: x[i] > cut, or x[i] == cut and i <= cutId. w[i] = kept ? exp((x[i] - max) * invT)
  /// : 0, blockSums[b] = the sum of w over block b (kSampleBlock tokens); returns the total.
  double (*expWeights)(const float* x, int64_t n, float max, float invT, float cut, int64_t cutId, float* w,
                       float* blockSums);
  /// Writes every i in [begin, end) with x[i] >= v to ids (ascending); returns how many.
  int64_t (*collectAtLeast)(const float* x, int64_t begin, int64_t end, float v, int32_t* ids);
  /// How many i in [0, n) have x[i] >= v.
  int64_t (*countAtLeast)(const float* x, int64_t n, float v);
  /// The sum of exp(x[i] - max) over [0, n).
  double (*sumExp)(const float* x, int64_t n, float max);
  /// Adds w[i] to binSums[bin(i)] for every i with w[i] > 0, bin(i) = min(bins - 1, (int)((max - x[i]) * scale)).
  void (*binWeights)(const float* x, const float* w, int64_t n, float max, float scale, int64_t bins,
                     double* binSums);
  /// Writes every i with w[i] > 0 and bin(i) == bin to ids (ascending); returns how many.
  int64_t (*collectBin)(const float* x, const float* w, int64_t n, float max, float scale, int64_t bins,
                        int64_t bin, int32_t* ids);
};

/// binWeights' bin of a value: monotone (a larger x never lands in a later bin); the same in every ISA.
inline int64_t sampleBinOf(float max, float x, float scale, int64_t bins) {
  const float f = (max - x) * scale;
  return f < static_cast<float>(bins - 1) ? static_cast<int64_t>(f) : bins - 1;
}

/// The kernels for kernelIsa(), chosen on first use.
const SamplingKernels& samplingKernels();

const SamplingKernels& portableSamplingKernels();
/// Defined in kernels/avx512 (compiled for Sapphire Rapids); call only when the CPU has it.
const SamplingKernels& avx512SamplingKernels();

}  // namespace pds
