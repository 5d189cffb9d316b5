// AVX-512 sampling loops (built with -march=sapphirerapids): 16 tokens per vector, which is
// also kSampleBlock, so each vector's weight sum is one block sum. exp is a polynomial
// (2^n * e^r, |r| <= ln2/2, degree 6; rel. err ~2e-7), as in the attention kernels.
// GCC 12 warns about the deliberately undefined vectors inside its own intrinsics (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>

#include "kernels/sampling-kernels.h"

namespace pds {
namespace {

static_assert(kSampleBlock == 16, "one block per AVX-512 vector");

inline __mmask16 tail(int64_t r) {
  return r >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << r) - 1);
}

inline __m512i lanes(int64_t i) {
  return _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(i)),
                          _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/// e^x for x <= 0 down to -inf (which gives 0).
inline __m512 expNeg(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-104.f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.4426950408889634f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.4286068203094172e-06f), r);
  __m512 p = _mm512_set1_ps(1.f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

float maxRow(const float* x, int64_t n) {
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 m0 = ninf, m1 = ninf;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
    m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + i + 16));
  }
  for (; i < n; i += 16) m0 = _mm512_mask_max_ps(m0, tail(n - i), m0, _mm512_maskz_loadu_ps(tail(n - i), x + i));
  return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}

int64_t findFirst(const float* x, int64_t n, float v) {
  const __m512 vv = _mm512_set1_ps(v);
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 hit = _mm512_mask_cmp_ps_mask(tail(n - i), _mm512_maskz_loadu_ps(tail(n - i), x + i), vv, _CMP_EQ_OQ);
    if (hit) return i + __builtin_ctz(hit);
  }
  return n;
}

double expWeights(const float* x, int64_t n, float max, float invT, float cut, int64_t cutId, float* w,
                  float* blockSums) {
  const __m512 vmax = _mm512_set1_ps(max), vinv = _mm512_set1_ps(invT), vcut = _mm512_set1_ps(cut);
  const __m512i vcutId = _mm512_set1_epi32(static_cast<int32_t>(std::min<int64_t>(cutId, INT_MAX)));
  double total = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail(n - i);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
    __mmask16 kept = _mm512_mask_cmp_ps_mask(m, xv, vcut, _CMP_GT_OQ);
    __mmask16 tie = _mm512_mask_cmp_ps_mask(m, xv, vcut, _CMP_EQ_OQ);
    kept |= _mm512_mask_cmple_epi32_mask(tie, lanes(i), vcutId);
    const __m512 e = _mm512_maskz_mov_ps(kept, expNeg(_mm512_mul_ps(_mm512_sub_ps(xv, vmax), vinv)));
    _mm512_mask_storeu_ps(w + i, m, e);
    const float s = _mm512_reduce_add_ps(e);
    blockSums[i / 16] = s;
    total += s;
  }
  return total;
}

int64_t collectAtLeast(const float* x, int64_t begin, int64_t end, float v, int32_t* ids) {
  const __m512 vv = _mm512_set1_ps(v);
  int64_t k = 0;
  for (int64_t i = begin; i < end; i += 16) {
    const __mmask16 m = tail(end - i);
    const __mmask16 hit = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, x + i), vv, _CMP_GE_OQ);
    if (hit == 0) continue;
    _mm512_mask_compressstoreu_epi32(ids + k, hit, lanes(i));
    k += __builtin_popcount(hit);
  }
  return k;
}

int64_t countAtLeast(const float* x, int64_t n, float v) {
  const __m512 vv = _mm512_set1_ps(v);
  int64_t k = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail(n - i);
    k += __builtin_popcount(_mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, x + i), vv, _CMP_GE_OQ));
  }
  return k;
}

double sumExp(const float* x, int64_t n, float max) {
  const __m512 vmax = _mm512_set1_ps(max);
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_add_ps(s0, expNeg(_mm512_sub_ps(_mm512_loadu_ps(x + i), vmax)));
    s1 = _mm512_add_ps(s1, expNeg(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), vmax)));
  }
  for (; i < n; i += 16) {
    const __mmask16 m = tail(n - i);
    s0 = _mm512_add_ps(s0, _mm512_maskz_mov_ps(m, expNeg(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vmax))));
  }
  return static_cast<double>(_mm512_reduce_add_ps(s0)) + static_cast<double>(_mm512_reduce_add_ps(s1));
}

/// The 16 bins of x[i, i + 16) (sampleBinOf, vectorised: the same float operations) and the lanes with w > 0.
inline __m512i bins16(const float* x, const float* w, int64_t i, int64_t n, __m512 vmax, __m512 vscale, __m512 vlast,
                      __mmask16* live) {
  const __mmask16 m = tail(n - i);
  *live = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, w + i), _mm512_setzero_ps(), _CMP_GT_OQ);
  const __m512 f = _mm512_mul_ps(_mm512_sub_ps(vmax, _mm512_maskz_loadu_ps(m, x + i)), vscale);
  return _mm512_cvttps_epi32(_mm512_min_ps(f, vlast));
}

void binWeights(const float* x, const float* w, int64_t n, float max, float scale, int64_t bins, double* binSums) {
  const __m512 vmax = _mm512_set1_ps(max), vscale = _mm512_set1_ps(scale);
  const __m512 vlast = _mm512_set1_ps(static_cast<float>(bins - 1));
  alignas(64) int32_t b[16];
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 live;
    _mm512_store_si512(b, bins16(x, w, i, n, vmax, vscale, vlast, &live));
    for (unsigned bits = live; bits; bits &= bits - 1) {
      const int lane = __builtin_ctz(bits);
      binSums[b[lane]] += w[i + lane];
    }
  }
}

int64_t collectBin(const float* x, const float* w, int64_t n, float max, float scale, int64_t bins, int64_t bin,
                   int32_t* ids) {
  const __m512 vmax = _mm512_set1_ps(max), vscale = _mm512_set1_ps(scale);
  const __m512 vlast = _mm512_set1_ps(static_cast<float>(bins - 1));
  const __m512i vbin = _mm512_set1_epi32(static_cast<int32_t>(bin));
  int64_t k = 0;
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 live;
    const __m512i b = bins16(x, w, i, n, vmax, vscale, vlast, &live);
    const __mmask16 hit = _mm512_mask_cmpeq_epi32_mask(live, b, vbin);
    if (hit == 0) continue;
    _mm512_mask_compressstoreu_epi32(ids + k, hit, lanes(i));
    k += __builtin_popcount(hit);
  }
  return k;
}

}  // namespace

const SamplingKernels& avx512SamplingKernels() {
  static const SamplingKernels k{"avx512",     maxRow,       findFirst,  expWeights, collectAtLeast,
                                 countAtLeast, sumExp,       binWeights, collectBin};
  return k;
}

}  // namespace pds
