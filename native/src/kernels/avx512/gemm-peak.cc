// Machine-peak probes for the benchmarks: independent FMA chains and a streaming read.
#include <immintrin.h>

#include "kernels/linear-impl.h"

namespace pds {

double fmaChainsAvx512(int64_t iters) {
  // 16 chains: enough to cover 4-cycle latency on two FMA ports with room to spare.
  __m512 acc[16];
  for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps(static_cast<float>(i) * 1e-3f);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; it++) {
    for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, acc[i]);
  volatile float sink = _mm512_reduce_add_ps(s);
  (void)sink;
  return static_cast<double>(iters) * 16 * 16 * 2;
}

float readSumAvx512(const void* data, size_t bytes) {
  // Four streams side by side (quarters of the range): one stream per core leaves bandwidth
  // unused (measured 1 / 2 / 4 streams per thread: ~26 / ~30 / ~31.5 GB/s with 2 threads).
  const char* p = static_cast<const char*>(data);
  const size_t part = bytes / 4 / 128 * 128;
  __m512 a[4][2];
  for (int s = 0; s < 4; s++) a[s][0] = a[s][1] = _mm512_setzero_ps();
  for (size_t i = 0; i < part; i += 128) {
    for (int s = 0; s < 4; s++) {
      a[s][0] = _mm512_add_ps(a[s][0], _mm512_load_ps(reinterpret_cast<const float*>(p + s * part + i)));
      a[s][1] = _mm512_add_ps(a[s][1], _mm512_load_ps(reinterpret_cast<const float*>(p + s * part + i + 64)));
    }
  }
  __m512 t = _mm512_setzero_ps();
  for (int s = 0; s < 4; s++) t = _mm512_add_ps(t, _mm512_add_ps(a[s][0], a[s][1]));
  return _mm512_reduce_add_ps(t);
}

}  // namespace pds
