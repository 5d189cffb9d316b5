// Machine-peak probes (AVX2 + FMA): independent FMA chains and a streaming read.
#include <immintrin.h>

#include "kernels/linear-impl.h"

namespace pds {

double fmaChainsAvx2(int64_t iters) {
  __m256 acc[12];  // 12 chains of the 16 ymm registers cover 2 ports x 4-cycle latency
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps(static_cast<float>(i) * 1e-3f);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; it++) {
    for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return static_cast<double>(iters) * 12 * 8 * 2;
}

float readSumAvx2(const void* data, size_t bytes) {
  // Four streams side by side (quarters of the range), as the AVX-512 probe.
  const char* p = static_cast<const char*>(data);
  const size_t part = bytes / 4 / 64 * 64;
  __m256 a[4][2];
  for (int s = 0; s < 4; s++) a[s][0] = a[s][1] = _mm256_setzero_ps();
  for (size_t i = 0; i < part; i += 64) {
    for (int s = 0; s < 4; s++) {
      a[s][0] = _mm256_add_ps(a[s][0], _mm256_load_ps(reinterpret_cast<const float*>(p + s * part + i)));
      a[s][1] = _mm256_add_ps(a[s][1], _mm256_load_ps(reinterpret_cast<const float*>(p + s * part + i + 32)));
    }
  }
  __m256 t = _mm256_setzero_ps();
  for (int s = 0; s < 4; s++) t = _mm256_add_ps(t, _mm256_add_ps(a[s][0], a[s][1]));
  alignas(32) float out[8];
  _mm256_store_ps(out, t);
  return out[0] + out[7];
}

}  // namespace pds
