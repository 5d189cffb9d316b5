// Portable (scalar, auto-vectorisable) inner kernels: the reference every ISA must match.
#include <cmath>
#include <limits>

#include "kernels/dtype.h"
#include "kernels/ops-kernels.h"

namespace pds {
namespace {

void rmsnormRow(const float* x, const float* w, int64_t n, float eps, float* out) {
  double ss = 0;
  for (int64_t i = 0; i < n; i++) ss += static_cast<double>(x[i]) * x[i];
  float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; i++) out[i] = x[i] * inv * w[i];
}

void softmaxRow(float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  double sum = 0;
  for (int64_t i = 0; i < n; i++) {
    x[i] = std::exp(x[i] - m);
    sum += x[i];
  }
  float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; i++) x[i] *= inv;
}

void swiglu(const float* g, const float* u, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i++) out[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
}

inline float load(const float* p, int64_t i) { return p[i]; }
inline float load(const uint16_t* p, int64_t i) { return bf16ToF32(p[i]); }

/// Raises st's max to mb, rescaling l and acc by exp(old - new).
void raiseMax(AttnState* st, float mb, int64_t d) {
  if (!(mb > st->m)) return;
  float corr = st->l > 0 ? std::exp(st->m - mb) : 0.f;
  st->l *= corr;
  for (int64_t i = 0; i < d; i++) st->acc[i] *= corr;
  st->m = mb;
}

template <typename T>
void attend(const float* q, const T* k, const T* v, int64_t stride, int64_t n, int64_t d, float* s,
            AttnState* st) {
  float mb = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; j++) {
    const T* kj = k + j * stride;
    float dot = 0;
    for (int64_t i = 0; i < d; i++) dot += q[i] * load(kj, i);
    s[j] = dot;
    mb = dot > mb ? dot : mb;
  }
  raiseMax(st, mb, d);
  for (int64_t j = 0; j < n; j++) {
    float p = std::exp(s[j] - st->m);
    st->l += p;
    const T* vj = v + j * stride;
    for (int64_t i = 0; i < d; i++) st->acc[i] += p * load(vj, i);
  }
}

void attendF32(const float* q, int64_t nq, const float* k, const float* v, int64_t stride, int64_t n, int64_t d,
               float* s, AttnState* st) {
  for (int64_t i = 0; i < nq; i++) attend(q + i * d, k, v, stride, n, d, s, st + i);
}

void attendBf16(const float* q, int64_t nq, const uint16_t* k, const uint16_t* v, int64_t stride, int64_t n,
                int64_t d, float* s, AttnState* st) {
  for (int64_t i = 0; i < nq; i++) attend(q + i * d, k, v, stride, n, d, s, st + i);
}

}  // namespace

const OpsKernels& portableOpsKernels() {
  static const OpsKernels k{"portable", rmsnormRow, softmaxRow, swiglu, attendF32, attendBf16};
  return k;
}

}  // namespace pds
