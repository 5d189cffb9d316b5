// AMX-BF16 inner kernels for large-M Linear: C[32 x 32] tiles accumulate A (x in bf16, 32 rows
// x 32 k per tile pair) times B (one 64-column panel in the VNNI-pair layout, 32 k x 16 columns
// per tile). q8_0 panels are first widened to that bf16 layout in a per-thread buffer.
#include <immintrin.h>

#include <cstring>

#include "kernels/linear-impl.h"

namespace pds {

namespace {

struct TileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

/// C[rows x 32] for rows in {16, 32}: tiles 0..3 accumulate, 4..5 hold A, 6..7 hold B.
template <int MT>
void tileBlock(const uint16_t* a, int64_t lda, const uint16_t* b, int64_t k, float* c) {
  _tile_zero(0);
  _tile_zero(1);
  if (MT == 2) {
    _tile_zero(2);
    _tile_zero(3);
  }
  const int64_t aStride = lda * 2;
  for (int64_t kk = 0; kk < k; kk += 32) {
    const uint16_t* bk = b + kk * kPanel;  // pair row kk / 2, 128 elements per pair row
    _tile_loadd(6, bk, 256);
    _tile_loadd(7, bk + 32, 256);
    _tile_loadd(4, a + kk, aStride);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    if (MT == 2) {
      _tile_loadd(5, a + 16 * lda + kk, aStride);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
  }
  _tile_stored(0, c, 128);
  _tile_stored(1, c + 16, 128);
  if (MT == 2) {
    _tile_stored(2, c + 16 * 32, 128);
    _tile_stored(3, c + 16 * 32 + 16, 128);
  }
}

void storeBlock(const float* c, int64_t rows, int64_t c0, int64_t n, float* y, int64_t ldy, const float* bias) {
  for (int j = 0; j < 2; j++) {
    const int64_t col = c0 + 16 * j;
    if (col >= n) break;
    const __mmask16 mask = n - col >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - col)) - 1);
    const __m512 bv = bias ? _mm512_maskz_loadu_ps(mask, bias + col) : _mm512_setzero_ps();
    for (int64_t r = 0; r < rows; r++)
      _mm512_mask_storeu_ps(y + r * ldy + col, mask, _mm512_add_ps(_mm512_loadu_ps(c + r * 32 + 16 * j), bv));
  }
}

}  // namespace

void amxConfigure() {
  TileConfig cfg;
  for (int i = 0; i < 8; i++) {
    cfg.colsb[i] = 64;
    cfg.rows[i] = 16;
  }
  // Not _tile_loadconfig: GCC 12 declares its operand as 8 bytes and drops the stores to the rest.
  __asm__ volatile("ldtilecfg %0" ::"m"(cfg));
}

void amxRelease() { _tile_release(); }

void amxPanel(const uint16_t* xb, int64_t lda, int64_t m, const uint16_t* b, int64_t k, int64_t c0, int64_t n,
              float* y, int64_t ldy, const float* bias) {
  alignas(64) float c[32 * 32];
  for (int64_t r = 0; r < m; r += 32) {
    const int64_t rows = m - r < 32 ? m - r : 32;
    for (int h = 0; h < 2; h++) {
      if (c0 + 32 * h >= n) break;
      if (rows > 16) tileBlock<2>(xb + r * lda, lda, b + 64 * h, k, c);
      else tileBlock<1>(xb + r * lda, lda, b + 64 * h, k, c);
      storeBlock(c, rows, c0 + 32 * h, n, y + r * ldy, ldy, bias);
    }
  }
}

void dequantQ8PanelBf16(const PackedWeights& w, int64_t p, uint16_t* out) {
  // 16 dwords of (k0 k1 | k2 k3) bf16 pairs for 8 columns -> the 8 (k0 k1) pairs, then the 8 (k2 k3).
  const __m512i split = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  const __m512i bias = _mm512_set1_epi32(128);
  for (int64_t b = 0; b < w.kp / kQ8Block; b++) {
    const uint8_t* blk = w.q8Block(p, b);
    for (int c = 0; c < kPanel; c += 8) {
      // Scale of each column repeated for its 4 k: lanes 4i..4i+3 take column c + i.
      const __m256 s8 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kQ8ScaleOffset + c * 2)));
      const __m512 s8x2 = _mm512_castsi512_ps(_mm512_broadcast_i64x4(_mm256_castps_si256(s8)));
      const __m512 sLo = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), s8x2);
      const __m512 sHi = _mm512_permutexvar_ps(_mm512_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7), s8x2);
      for (int g = 0; g < kQ8Block / 4; g++) {
        const uint8_t* q = blk + g * 4 * kPanel + c * 4;  // columns c..c+7, 4 k each
        const __m512i lo = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q))), bias);
        const __m512i hi =
            _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16))), bias);
        const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_mul_ps(_mm512_cvtepi32_ps(hi), sHi),
                                               _mm512_mul_ps(_mm512_cvtepi32_ps(lo), sLo));
        const __m512i pairs = _mm512_permutexvar_epi32(split, reinterpret_cast<const __m512i&>(v));
        uint16_t* o = out + (b * kQ8Block + g * 4) * kPanel + c * 2;  // pair row (b * 32 + 4g) / 2
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm512_castsi512_si256(pairs));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 2 * kPanel), _mm512_extracti64x4_epi64(pairs, 1));
      }
    }
  }
}

}  // namespace pds
