// Row-wise ops of ops.h (rmsnorm, rope, swiglu, softmax, argmax): threading and bounds here,
// inner loops from opsKernels().
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu-features.h"
#include "kernels/ops-kernels.h"
#include "kernels/ops.h"
#include "runtime/thread-pool.h"

namespace pds {

const OpsKernels& opsKernels() {
  static const OpsKernels* k = [] {
    std::string isa = kernelIsa();
    if (isa == "avx512") return &avx512OpsKernels();
    if (isa == "avx2") return &avx2OpsKernels();
    return &portableOpsKernels();
  }();
  return *k;
}

namespace {
/// Rows per task so that each task touches at least ~16K floats.
int64_t rowGrain(int64_t cols) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)); }

std::vector<float> ropeFrequencies(int64_t rotDim, float theta, const float* invFreq) {
  std::vector<float> f(rotDim / 2);
  for (int64_t i = 0; i < rotDim / 2; i++)
    f[i] = invFreq ? invFreq[i]
                   : static_cast<float>(1.0 / std::pow(static_cast<double>(theta), 2.0 * i / rotDim));
  return f;
}

void ropeHead(float* v, const float* c, const float* s, int64_t half, RopeStyle style) {
  if (style == RopeStyle::Interleaved) {
    for (int64_t i = 0; i < half; i++) {
      float a = v[2 * i], b = v[2 * i + 1];
      v[2 * i] = a * c[i] - b * s[i];
      v[2 * i + 1] = a * s[i] + b * c[i];
    }
  } else {
    for (int64_t i = 0; i < half; i++) {
      float a = v[i], b = v[i + half];
      v[i] = a * c[i] - b * s[i];
      v[i + half] = b * c[i] + a * s[i];
    }
  }
}
}  // namespace

void rmsnorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps, float* out) {
  const OpsKernels& k = opsKernels();
  ThreadPool::global().parallelFor(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; r++) k.rmsnormRow(x + r * dim, weight, dim, eps, out + r * dim);
      },
      rowGrain(dim));
}

void rope(float* x, const int32_t* positions, int64_t tokens, int64_t heads, int64_t headDim, int64_t rotDim,
          float theta, RopeStyle style, const float* invFreq) {
  if (rotDim <= 0 || rotDim > headDim || rotDim % 2 != 0)
    throw std::invalid_argument("rope: rotDim " + std::to_string(rotDim) + " must be even and in (0, headDim=" +
                                std::to_string(headDim) + "]");
  const std::vector<float> freq = ropeFrequencies(rotDim, theta, invFreq);
  const int64_t half = rotDim / 2;
  ThreadPool::global().parallelFor(
      tokens,
      [&](int64_t b, int64_t e, int) {
        std::vector<float> c(half), s(half);
        for (int64_t t = b; t < e; t++) {
          for (int64_t i = 0; i < half; i++) {
            float angle = static_cast<float>(positions[t]) * freq[i];
            c[i] = static_cast<float>(std::cos(static_cast<double>(angle)));
            s[i] = static_cast<float>(std::sin(static_cast<double>(angle)));
          }
          for (int64_t h = 0; h < heads; h++) ropeHead(x + (t * heads + h) * headDim, c.data(), s.data(), half, style);
        }
      },
      rowGrain(heads * headDim));
}

void swiglu(const float* gate, const float* up, int64_t n, float* out) {
  const OpsKernels& k = opsKernels();
  const int64_t chunk = 4096, chunks = (n + chunk - 1) / chunk;
  ThreadPool::global().parallelFor(
      chunks,
      [&](int64_t b, int64_t e, int) {
        int64_t lo = b * chunk, hi = std::min(n, e * chunk);
        k.swiglu(gate + lo, up + lo, hi - lo, out + lo);
      },
      4);
}

void softmax(float* x, int64_t rows, int64_t cols) {
  const OpsKernels& k = opsKernels();
  ThreadPool::global().parallelFor(
      rows, [&](int64_t b, int64_t e, int) { for (int64_t r = b; r < e; r++) k.softmaxRow(x + r * cols, cols); },
      rowGrain(cols));
}

void argmax(const float* x, int64_t rows, int64_t cols, int32_t* out) {
  ThreadPool::global().parallelFor(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; r++) {
          const float* row = x + r * cols;
          int64_t best = 0;
          for (int64_t i = 1; i < cols; i++)
            if (row[i] > row[best]) best = i;
          out[r] = static_cast<int32_t>(best);
        }
      },
      rowGrain(cols));
}

}  // namespace pds
