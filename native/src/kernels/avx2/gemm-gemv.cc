// AVX2 + FMA Linear kernels (any M): each 64-column panel is processed as two 32-column halves
// (4 ymm accumulators per row, up to 3 rows per pass: 12 of the 16 ymm registers).
#include <immintrin.h>

#include "kernels/linear-impl.h"

namespace pds {

namespace {

constexpr int kMaxRows = 3;

template <int MR>
void storeRows(__m256 (&acc)[MR][4], int64_t c0, int64_t n, float* y, int64_t ldy, const float* bias) {
  alignas(32) float tmp[8];
  for (int j = 0; j < 4; j++) {
    const int64_t c = c0 + 8 * j;
    if (c >= n) break;
    const int64_t cols = n - c < 8 ? n - c : 8;
    for (int r = 0; r < MR; r++) {
      if (cols == 8) {
        __m256 v = acc[r][j];
        if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + c));
        _mm256_storeu_ps(y + r * ldy + c, v);
      } else {
        _mm256_store_ps(tmp, acc[r][j]);
        for (int64_t i = 0; i < cols; i++) y[r * ldy + c + i] = tmp[i] + (bias ? bias[c + i] : 0.f);
      }
    }
  }
}

/// Columns [h * 32, h * 32 + 32) of panel p for MR rows of x.
template <int MR>
void halfF32(const PackedWeights& w, int64_t p, int h, const float* x, int64_t ldx, __m256 (&acc)[MR][4]) {
  const float* panel = w.f32Panel(p) + h * 32;
  for (int64_t k = 0; k < w.k; k++) {
    for (int j = 0; j < 4; j++) {
      const __m256 v = _mm256_load_ps(panel + k * kPanel + 8 * j);
      for (int r = 0; r < MR; r++) acc[r][j] = _mm256_fmadd_ps(v, _mm256_broadcast_ss(x + r * ldx + k), acc[r][j]);
    }
  }
}

template <int MR>
void halfBf16(const PackedWeights& w, int64_t p, int h, const float* x, int64_t ldx, __m256 (&acc)[MR][4]) {
  const uint16_t* panel = w.bf16Panel(p) + h * 64;  // 32 columns x 2 k per pair row
  const __m256i hiMask = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
  for (int64_t k = 0; k < w.k; k += 2) {
    const bool pair = k + 1 < w.k;
    for (int j = 0; j < 4; j++) {
      const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel + k * kPanel + 16 * j));
      const __m256 even = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
      const __m256 odd = _mm256_castsi256_ps(_mm256_and_si256(v, hiMask));
      for (int r = 0; r < MR; r++) {
        acc[r][j] = _mm256_fmadd_ps(even, _mm256_broadcast_ss(x + r * ldx + k), acc[r][j]);
        if (pair) acc[r][j] = _mm256_fmadd_ps(odd, _mm256_broadcast_ss(x + r * ldx + k + 1), acc[r][j]);
      }
    }
  }
}

/// Block b, columns [h * 32, h * 32 + 32) of a q8_0 panel widened to f32: t[kk][32], scaled.
inline void widenQ8(const uint8_t* blk, int h, float* t) {
  // Per 128-bit lane, 4 columns x 4 k (column-major bytes) -> 4 k x 4 columns; then dwords
  // reordered so qword kk holds k = kk of all 8 columns.
  const __m256i toKMajor = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1,
                                            5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m256i pairLanes = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int c = 0; c < 4; c++) {  // 8 columns at a time
    const int col = h * 32 + c * 8;
    const __m256 scale =
        _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(blk + kQ8ScaleOffset + col * 2)));
    for (int g = 0; g < 8; g++) {
      __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(blk + g * 4 * kPanel + col * 4));
      v = _mm256_xor_si256(v, _mm256_set1_epi8(static_cast<char>(0x80)));  // stored q + 128 -> q
      v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, toKMajor), pairLanes);
      const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
      const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
      for (int kk = 0; kk < 4; kk++)
        _mm256_store_ps(t + (g * 4 + kk) * 32 + c * 8,
                        _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[kk])), scale));
    }
  }
}

template <int MR>
void halfQ8(const PackedWeights& w, int64_t p, int h, const float* x, int64_t ldx, __m256 (&acc)[MR][4]) {
  alignas(32) float t[kQ8Block * 32];
  for (int64_t b = 0; b < w.k / kQ8Block; b++) {
    widenQ8(w.q8Block(p, b), h, t);
    for (int kk = 0; kk < kQ8Block; kk++) {
      for (int j = 0; j < 4; j++) {
        const __m256 v = _mm256_load_ps(t + kk * 32 + 8 * j);
        for (int r = 0; r < MR; r++)
          acc[r][j] = _mm256_fmadd_ps(v, _mm256_broadcast_ss(x + r * ldx + b * kQ8Block + kk), acc[r][j]);
      }
    }
  }
}

template <template <int> class Half, int MR>
void rows(const PackedWeights& w, int64_t p, const float* x, int64_t ldx, float* y, int64_t ldy, const float* bias) {
  for (int h = 0; h < 2; h++) {
    if (p * kPanel + h * 32 >= w.n) break;
    __m256 acc[MR][4];
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < 4; j++) acc[r][j] = _mm256_setzero_ps();
    Half<MR>::run(w, p, h, x, ldx, acc);
    storeRows(acc, p * kPanel + h * 32, w.n, y, ldy, bias);
  }
}

template <int MR>
struct F32 {
  static void run(const PackedWeights& w, int64_t p, int h, const float* x, int64_t ldx, __m256 (&a)[MR][4]) {
    halfF32<MR>(w, p, h, x, ldx, a);
  }
};
template <int MR>
struct Bf16 {
  static void run(const PackedWeights& w, int64_t p, int h, const float* x, int64_t ldx, __m256 (&a)[MR][4]) {
    halfBf16<MR>(w, p, h, x, ldx, a);
  }
};
template <int MR>
struct Q8 {
  static void run(const PackedWeights& w, int64_t p, int h, const float* x, int64_t ldx, __m256 (&a)[MR][4]) {
    halfQ8<MR>(w, p, h, x, ldx, a);
  }
};

/// Rows of x in balanced groups of at most 3, each group over every panel of the range.
template <template <int> class Half>
void panelKernel(const PackedWeights& w, const float* x, int64_t ldx, int64_t m, int64_t p0, int64_t p1, float* y,
                 int64_t ldy, const float* bias, const QuantizedRows*) {
  const int64_t groups = (m + kMaxRows - 1) / kMaxRows;
  for (int64_t p = p0; p < p1; p++) {
    for (int64_t g = 0, r0 = 0; g < groups; g++) {
      const int64_t n = (m - r0) / (groups - g);
      const float* xr = x + r0 * ldx;
      float* yr = y + r0 * ldy;
      if (n == 3) rows<Half, 3>(w, p, xr, ldx, yr, ldy, bias);
      else if (n == 2) rows<Half, 2>(w, p, xr, ldx, yr, ldy, bias);
      else rows<Half, 1>(w, p, xr, ldx, yr, ldy, bias);
      r0 += n;
    }
  }
}

}  // namespace

PanelKernel avx2Kernel(DType store) {
  switch (store) {
    case DType::F32:
      return panelKernel<F32>;
    case DType::BF16:
      return panelKernel<Bf16>;
    default:
      return panelKernel<Q8>;
  }
}

}  // namespace pds
