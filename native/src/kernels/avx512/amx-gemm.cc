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
  // Lane 2i takes even-k value i (low half), lane 2i + 1 odd-k value i (high half).
  alignas(64) static const uint16_t kInterleave[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                                       8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i idx = _mm512_load_si512(kInterleave);
  for (int64_t b = 0; b < w.kp / kQ8Block; b++) {
    const uint8_t* blk = w.q8Block(p, b);
    __m512 scale[4];
    for (int g = 0; g < 4; g++)
      scale[g] = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(blk + kQ8Block * kPanel) + g));
    for (int kk = 0; kk < kQ8Block; kk += 2) {
      const uint8_t* q0 = blk + kk * kPanel;
      uint16_t* o = out + (b * kQ8Block + kk) * kPanel;
      for (int g = 0; g < 4; g++) {
        const __m512 even = _mm512_mul_ps(
            _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(q0 + 16 * g)))),
            scale[g]);
        const __m512 odd = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128(
                                             reinterpret_cast<const __m128i*>(q0 + kPanel + 16 * g)))),
                                         scale[g]);
        const __m512bh both = _mm512_cvtne2ps_pbh(odd, even);
        _mm512_storeu_si512(o + 32 * g, _mm512_permutexvar_epi16(idx, reinterpret_cast<const __m512i&>(both)));
      }
    }
  }
}

}  // namespace pds
