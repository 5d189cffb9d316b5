// AVX2 + FMA inner kernels of ops.h: 8 floats per vector, masked f32 tails, a polynomial exp,
// and an 8-key block score kernel for paged attention.
// GCC 12 warns about the deliberately undefined vectors inside its own intrinsics (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/ops-kernels.h"

namespace pds {
namespace {

/// Lanes i < r set (all when r >= 8).
inline __m256i tailMask(int64_t r) {
  int32_t n = static_cast<int32_t>(r > 8 ? 8 : r < 0 ? 0 : r);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// exp(x) as 2^n * e^r with |r| <= ln2/2, degree-6 Taylor; inputs clamped to [-87.3, 88.3].
inline __m256 exp256(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.4426950408889634f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.4286068203094172e-06f), r);
  __m256 p = _mm256_set1_ps(1.f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

inline __m256 loadv(const float* p, int64_t r) { return _mm256_maskload_ps(p, tailMask(r)); }
inline __m256 loadv(const uint16_t* p, int64_t r) {
  __m128i h;
  if (r >= 8) {
    h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  } else {
    uint16_t tmp[8] = {};
    std::memcpy(tmp, p, static_cast<size_t>(r > 0 ? r : 0) * 2);
    h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tmp));
  }
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
inline void storev(float* p, int64_t r, __m256 v) { _mm256_maskstore_ps(p, tailMask(r), v); }

void rmsnormRow(const float* x, const float* w, int64_t n, float eps, float* out) {
  __m256 a = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 8) {
    __m256 v = loadv(x + i, n - i);
    a = _mm256_fmadd_ps(v, v, a);
  }
  __m256 inv = _mm256_set1_ps(1.f / std::sqrt(hsum(a) / static_cast<float>(n) + eps));
  for (int64_t i = 0; i < n; i += 8)
    storev(out + i, n - i, _mm256_mul_ps(_mm256_mul_ps(loadv(x + i, n - i), inv), loadv(w + i, n - i)));
}

void softmaxRow(float* x, int64_t n) {
  __m256 mv = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < n; i += 8)
    mv = _mm256_blendv_ps(mv, _mm256_max_ps(mv, loadv(x + i, n - i)), _mm256_castsi256_ps(tailMask(n - i)));
  mv = _mm256_set1_ps(hmax(mv));
  __m256 sum = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 8) {
    __m256 e = _mm256_and_ps(exp256(_mm256_sub_ps(loadv(x + i, n - i), mv)), _mm256_castsi256_ps(tailMask(n - i)));
    storev(x + i, n - i, e);
    sum = _mm256_add_ps(sum, e);
  }
  __m256 inv = _mm256_set1_ps(1.f / hsum(sum));
  for (int64_t i = 0; i < n; i += 8) storev(x + i, n - i, _mm256_mul_ps(loadv(x + i, n - i), inv));
}

void swiglu(const float* g, const float* u, int64_t n, float* out) {
  const __m256 one = _mm256_set1_ps(1.f);
  for (int64_t i = 0; i < n; i += 8) {
    __m256 gv = loadv(g + i, n - i);
    __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), gv));
    storev(out + i, n - i, _mm256_div_ps(_mm256_mul_ps(gv, loadv(u + i, n - i)), _mm256_add_ps(one, e)));
  }
}

/// Lane j of the result = horizontal sum of a[j].
inline __m256 reduce8(const __m256* a) {
  __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
  __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

/// Dot products of q with keys 0..c-1 (c <= 8) in lanes 0..c-1; other lanes are junk.
template <typename T>
inline __m256 scores8(const float* q, const T* k, int64_t stride, int64_t c, int64_t d) {
  int64_t off[8];
  for (int j = 0; j < 8; j++) off[j] = (j < c ? j : 0) * stride;
  __m256 a[8];
  for (int j = 0; j < 8; j++) a[j] = _mm256_setzero_ps();
  for (int64_t i = 0; i < d; i += 8) {
    __m256 qv = loadv(q + i, d - i);
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) a[j] = _mm256_fmadd_ps(qv, loadv(k + off[j] + i, d - i), a[j]);
  }
  return reduce8(a);
}

/// acc[0..d) += sum_j p[j] * v_j, 32 floats of acc in registers at a time.
template <typename T>
inline void accumulate(const float* p, const T* v, int64_t stride, int64_t n, int64_t d, float* acc) {
  for (int64_t i = 0; i < d; i += 32) {
    __m256 a[4];
    for (int c = 0; c < 4; c++) a[c] = loadv(acc + i + 8 * c, d - i - 8 * c);
    for (int64_t j = 0; j < n; j++) {
      __m256 pj = _mm256_set1_ps(p[j]);
      const T* vj = v + j * stride + i;
      for (int c = 0; c < 4; c++) a[c] = _mm256_fmadd_ps(pj, loadv(vj + 8 * c, d - i - 8 * c), a[c]);
    }
    for (int c = 0; c < 4; c++) storev(acc + i + 8 * c, d - i - 8 * c, a[c]);
  }
}

void raiseMax(AttnState* st, float mb, int64_t d) {
  if (!(mb > st->m)) return;
  float corr = st->l > 0 ? std::exp(st->m - mb) : 0.f;
  st->l *= corr;
  __m256 cv = _mm256_set1_ps(corr);
  for (int64_t i = 0; i < d; i += 8) storev(st->acc + i, d - i, _mm256_mul_ps(loadv(st->acc + i, d - i), cv));
  st->m = mb;
}

template <typename T>
void attend(const float* q, const T* k, const T* v, int64_t stride, int64_t n, int64_t d, float* s,
            AttnState* st) {
  const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 mx = ninf;
  for (int64_t j = 0; j < n; j += 8) {
    __m256 sc = _mm256_blendv_ps(ninf, scores8(q, k + j * stride, stride, n - j, d),
                                 _mm256_castsi256_ps(tailMask(n - j)));
    storev(s + j, n - j, sc);
    mx = _mm256_max_ps(mx, sc);
  }
  raiseMax(st, hmax(mx), d);
  __m256 mv = _mm256_set1_ps(st->m), sum = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; j += 8) {
    __m256 e = _mm256_and_ps(exp256(_mm256_sub_ps(loadv(s + j, n - j), mv)), _mm256_castsi256_ps(tailMask(n - j)));
    storev(s + j, n - j, e);
    sum = _mm256_add_ps(sum, e);
  }
  st->l += hsum(sum);
  accumulate(s, v, stride, n, d, st->acc);
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

const OpsKernels& avx2OpsKernels() {
  static const OpsKernels k{"avx2", rmsnormRow, softmaxRow, swiglu, attendF32, attendBf16};
  return k;
}

}  // namespace pds
