// Portable (scalar) sampling loops: the fallback for CPUs without AVX-512, and the definition
// the vector version must match.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/sampling-kernels.h"

namespace pds {
namespace {

float maxRow(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

int64_t findFirst(const float* x, int64_t n, float v) {
  for (int64_t i = 0; i < n; i++)
    if (x[i] == v) return i;
  return n;
}

double expWeights(const float* x, int64_t n, float max, float invT, float cut, int64_t cutId, float* w,
                  float* blockSums) {
  double total = 0;
  for (int64_t b = 0; b < n; b += kSampleBlock) {
    const int64_t e = std::min(n, b + kSampleBlock);
    float sum = 0;
    for (int64_t i = b; i < e; i++) {
      const bool kept = x[i] > cut || (x[i] == cut && i <= cutId);
      w[i] = kept ? std::exp((x[i] - max) * invT) : 0.f;
      sum += w[i];
    }
    blockSums[b / kSampleBlock] = sum;
    total += sum;
  }
  return total;
}

int64_t collectAtLeast(const float* x, int64_t begin, int64_t end, float v, int32_t* ids) {
  int64_t k = 0;
  for (int64_t i = begin; i < end; i++)
    if (x[i] >= v) ids[k++] = static_cast<int32_t>(i);
  return k;
}

int64_t countAtLeast(const float* x, int64_t n, float v) {
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) k += x[i] >= v;
  return k;
}

double sumExp(const float* x, int64_t n, float max) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += std::exp(x[i] - max);
  return s;
}

void binWeights(const float* x, const float* w, int64_t n, float max, float scale, int64_t bins, double* binSums) {
  for (int64_t i = 0; i < n; i++)
    if (w[i] > 0) binSums[sampleBinOf(max, x[i], scale, bins)] += w[i];
}

int64_t collectBin(const float* x, const float* w, int64_t n, float max, float scale, int64_t bins, int64_t bin,
                   int32_t* ids) {
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++)
    if (w[i] > 0 && sampleBinOf(max, x[i], scale, bins) == bin) ids[k++] = static_cast<int32_t>(i);
  return k;
}

}  // namespace

const SamplingKernels& portableSamplingKernels() {
  static const SamplingKernels k{"portable",   maxRow,       findFirst,  expWeights, collectAtLeast,
                                 countAtLeast, sumExp,       binWeights, collectBin};
  return k;
}

}  // namespace pds
