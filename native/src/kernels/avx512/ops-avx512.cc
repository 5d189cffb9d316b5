// AVX-512 inner kernels of ops.h (built with -march=sapphirerapids): 16 floats per vector,
// masked tails, a polynomial exp, and a 16-key block score kernel for paged attention.
// GCC 12 warns about the deliberately undefined vectors inside its own intrinsics (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cmath>
#include <limits>

#include "kernels/ops-kernels.h"

namespace pds {
namespace {

inline __mmask16 tailMask(int64_t r) {
  return r >= 16 ? static_cast<__mmask16>(0xffff) : r <= 0 ? 0 : static_cast<__mmask16>((1u << r) - 1);
}

/// exp(x) as 2^n * e^r with |r| <= ln2/2 and a degree-6 Taylor polynomial (rel. err ~2e-7).
inline __m512 exp512(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-104.f));
  x = _mm512_min_ps(x, _mm512_set1_ps(88.7f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.4426950408889634f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);  // ln2 split hi/lo
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

inline __m512 loadv(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
inline __m512 loadv(const uint16_t* p, __mmask16 m) {
  __m512i w = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
}

void rmsnormRow(const float* x, const float* w, int64_t n, float eps, float* out) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
    a0 = _mm512_fmadd_ps(v0, v0, a0);
    a1 = _mm512_fmadd_ps(v1, v1, a1);
  }
  for (; i < n; i += 16) {
    __m512 v = _mm512_maskz_loadu_ps(tailMask(n - i), x + i);
    a0 = _mm512_fmadd_ps(v, v, a0);
  }
  float ss = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
  __m512 inv = _mm512_set1_ps(1.f / std::sqrt(ss / static_cast<float>(n) + eps));
  for (i = 0; i < n; i += 16) {
    __mmask16 m = tailMask(n - i);
    __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, w + i)));
  }
}

void softmaxRow(float* x, int64_t n) {
  __m512 mv = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 m = tailMask(n - i);
    mv = _mm512_mask_max_ps(mv, m, mv, _mm512_maskz_loadu_ps(m, x + i));
  }
  mv = _mm512_set1_ps(_mm512_reduce_max_ps(mv));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 m = tailMask(n - i);
    __m512 e = _mm512_maskz_mov_ps(m, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mv)));
    _mm512_mask_storeu_ps(x + i, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  __m512 inv = _mm512_set1_ps(1.f / _mm512_reduce_add_ps(sum));
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 m = tailMask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

void swiglu(const float* g, const float* u, int64_t n, float* out) {
  const __m512 one = _mm512_set1_ps(1.f);
  for (int64_t i = 0; i < n; i += 16) {
    __mmask16 m = tailMask(n - i);
    __m512 gv = _mm512_maskz_loadu_ps(m, g + i);
    __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), gv));
    __m512 y = _mm512_div_ps(_mm512_mul_ps(gv, _mm512_maskz_loadu_ps(m, u + i)), _mm512_add_ps(one, e));
    _mm512_mask_storeu_ps(out + i, m, y);
  }
}

#define PDS_INLINE inline __attribute__((always_inline))

/// Lane j of the result = horizontal sum of a[j].
PDS_INLINE __m512 reduce16(const __m512 (&a)[16]) {
  __m512 b[8], c[4], e[2];
  for (int k = 0; k < 8; k++)
    b[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  for (int k = 0; k < 4; k++)
    c[k] = _mm512_add_ps(_mm512_shuffle_f32x4(b[2 * k], b[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(b[2 * k], b[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  for (int k = 0; k < 2; k++)
    e[k] = _mm512_add_ps(_mm512_unpacklo_ps(c[2 * k], c[2 * k + 1]), _mm512_unpackhi_ps(c[2 * k], c[2 * k + 1]));
  __m512 f = _mm512_add_ps(_mm512_shuffle_ps(e[0], e[1], _MM_SHUFFLE(1, 0, 1, 0)),
                           _mm512_shuffle_ps(e[0], e[1], _MM_SHUFFLE(3, 2, 3, 2)));
  // f[4L + t] holds the sum of a[4t + L].
  const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(idx, f);
}

/// Dot products of q with keys 0..c-1 (c <= 16) in lanes 0..c-1; other lanes are junk.
template <typename T>
PDS_INLINE __m512 scores16(const float* q, const T* k, int64_t stride, int64_t c, int64_t d) {
  int64_t off[16];
  for (int j = 0; j < 16; j++) off[j] = (j < c ? j : 0) * stride;
  __m512 a[16];
  for (int j = 0; j < 16; j++) a[j] = _mm512_setzero_ps();
  for (int64_t i = 0; i < d; i += 16) {
    __mmask16 m = tailMask(d - i);
    __m512 qv = _mm512_maskz_loadu_ps(m, q + i);
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) a[j] = _mm512_fmadd_ps(qv, loadv(k + off[j] + i, m), a[j]);
  }
  return reduce16(a);
}

/// s[j] = q . k_j for j < n (lanes up to kScoreStride(n) hold -inf); returns the max.
template <typename T>
PDS_INLINE float scoreRow(const float* q, const T* k, int64_t stride, int64_t n, int64_t d, float* s) {
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 mx = ninf;
  for (int64_t j = 0; j < n; j += 16) {
    __m512 sc = _mm512_mask_mov_ps(ninf, tailMask(n - j), scores16(q, k + j * stride, stride, n - j, d));
    _mm512_storeu_ps(s + j, sc);
    mx = _mm512_max_ps(mx, sc);
  }
  return _mm512_reduce_max_ps(mx);
}

/// s[j] = exp(s[j] - m) (0 past n); returns the sum.
PDS_INLINE float expRow(float* s, int64_t n, float m) {
  const __m512 mv = _mm512_set1_ps(m);
  __m512 sum = _mm512_setzero_ps();
  for (int64_t j = 0; j < n; j += 16) {
    __m512 e = _mm512_maskz_mov_ps(tailMask(n - j), exp512(_mm512_sub_ps(_mm512_loadu_ps(s + j), mv)));
    _mm512_storeu_ps(s + j, e);
    sum = _mm512_add_ps(sum, e);
  }
  return _mm512_reduce_add_ps(sum);
}

void raiseMax(AttnState* st, float mb, int64_t d) {
  if (!(mb > st->m)) return;
  float corr = st->l > 0 ? _mm512_cvtss_f32(exp512(_mm512_set1_ps(st->m - mb))) : 0.f;
  st->l *= corr;
  __m512 cv = _mm512_set1_ps(corr);
  for (int64_t i = 0; i < d; i += 16) {
    __mmask16 m = tailMask(d - i);
    _mm512_mask_storeu_ps(st->acc + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, st->acc + i), cv));
  }
  st->m = mb;
}

/// st[q].acc += sum_j p[q * ss + j] * v_j for NQ queries, 64 dims at a time in registers; each
/// V row is loaded once for all NQ. U > 1 splits the keys over U accumulator sets (more
/// independent FMA chains when NQ is small).
template <int NQ, int U, typename T>
PDS_INLINE void accumulateQ(const float* p, int64_t ss, const T* v, int64_t stride, int64_t n, int64_t d,
                            AttnState* st) {
  for (int64_t i = 0; i < d; i += 64) {
    __mmask16 m[4];
    __m512 a[U][NQ][4];
    for (int c = 0; c < 4; c++) m[c] = tailMask(d - i - 16 * c);
    for (int q = 0; q < NQ; q++)
      for (int c = 0; c < 4; c++) {
        a[0][q][c] = _mm512_maskz_loadu_ps(m[c], st[q].acc + i + 16 * c);
        for (int u = 1; u < U; u++) a[u][q][c] = _mm512_setzero_ps();
      }
    int64_t j = 0;
    auto step = [&](int u, int64_t jj) {
      const T* vj = v + jj * stride + i;
      __m512 vv[4];
      for (int c = 0; c < 4; c++) vv[c] = loadv(vj + 16 * c, m[c]);
      for (int q = 0; q < NQ; q++) {
        __m512 pj = _mm512_set1_ps(p[q * ss + jj]);
        for (int c = 0; c < 4; c++) a[u][q][c] = _mm512_fmadd_ps(pj, vv[c], a[u][q][c]);
      }
    };
    for (; j + U <= n; j += U)
      for (int u = 0; u < U; u++) step(u, j + u);
    for (; j < n; j++) step(0, j);
    for (int q = 0; q < NQ; q++)
      for (int c = 0; c < 4; c++) {
        for (int u = 1; u < U; u++) a[0][q][c] = _mm512_add_ps(a[0][q][c], a[u][q][c]);
        _mm512_mask_storeu_ps(st[q].acc + i + 16 * c, m[c], a[0][q][c]);
      }
  }
}

template <typename T>
void accumulate(const float* p, int64_t ss, int64_t nq, const T* v, int64_t stride, int64_t n, int64_t d,
                AttnState* st) {
  int64_t q = 0;
  for (; q + 4 <= nq; q += 4) accumulateQ<4, 1>(p + q * ss, ss, v, stride, n, d, st + q);
  if (nq - q == 3) accumulateQ<3, 1>(p + q * ss, ss, v, stride, n, d, st + q);
  if (nq - q == 2) accumulateQ<2, 1>(p + q * ss, ss, v, stride, n, d, st + q);
  if (nq - q == 1) accumulateQ<1, 2>(p + q * ss, ss, v, stride, n, d, st + q);
}

template <typename T>
void attend(const float* q, int64_t nq, const T* k, const T* v, int64_t stride, int64_t n, int64_t d, float* s,
            AttnState* st) {
  const int64_t ss = kScoreStride(n);
  for (int64_t i = 0; i < nq; i++) {
    float* si = s + i * ss;
    raiseMax(st + i, scoreRow(q + i * d, k, stride, n, d, si), d);
    st[i].l += expRow(si, n, st[i].m);
  }
  accumulate(s, ss, nq, v, stride, n, d, st);
}

void attendF32(const float* q, int64_t nq, const float* k, const float* v, int64_t stride, int64_t n, int64_t d,
               float* s, AttnState* st) {
  attend(q, nq, k, v, stride, n, d, s, st);
}

void attendBf16(const float* q, int64_t nq, const uint16_t* k, const uint16_t* v, int64_t stride, int64_t n,
                int64_t d, float* s, AttnState* st) {
  attend(q, nq, k, v, stride, n, d, s, st);
}

}  // namespace

const OpsKernels& avx512OpsKernels() {
  static const OpsKernels k{"avx512", rmsnormRow, softmaxRow, swiglu, attendF32, attendBf16};
  return k;
}

}  // namespace pds
