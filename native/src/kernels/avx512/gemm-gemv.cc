// AVX-512 Linear kernels for small M (decode): each 64-column panel is streamed once per group
// of up to 6 rows of x; every weight vector feeds MR FMAs (or VNNI dot products) with x
// broadcast from memory. f32 and bf16 keep x in f32 (bf16 weights are widened by a shift);
// q8_0 multiplies int8 x (quantized per 32-block) by the stored weights with AVX512-VNNI.
#include <immintrin.h>

#include <algorithm>

#include "kernels/linear-impl.h"

namespace pds {

namespace {

constexpr int kMaxRows = 6;
/// Bytes ahead in a panel stream for software prefetch (measured on 5632x2048 streams larger
/// than the caches: 2048-4096 best; none costs q8_0 a quarter of its bandwidth).
constexpr int kPrefetch = 4096;

/// Prefetches the 256-byte row that lies kPrefetch bytes past p.
inline void prefetchRow(const void* p) {
  if (kPrefetch == 0) return;
  const char* c = static_cast<const char*>(p) + kPrefetch;
  for (int l = 0; l < 4; l++) _mm_prefetch(c + 64 * l, _MM_HINT_T0);
}

template <int MR>
inline void zero(__m512 (&acc)[MR][4]) {
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < 4; j++) acc[r][j] = _mm512_setzero_ps();
}

template <int MR>
void storeRows(__m512 (&acc)[MR][4], int64_t c0, int64_t n, float* y, int64_t ldy, const float* bias) {
  for (int j = 0; j < 4; j++) {
    const int64_t c = c0 + 16 * j;
    if (c >= n) break;
    const __mmask16 mask = n - c >= 16 ? 0xffff : static_cast<__mmask16>((1u << (n - c)) - 1);
    const __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias + c) : _mm512_setzero_ps();
    for (int r = 0; r < MR; r++) _mm512_mask_storeu_ps(y + r * ldy + c, mask, _mm512_add_ps(acc[r][j], b));
  }
}

/// Runs step(i, acc) for i < steps. With one or two rows the range is cut into parts walked side
/// by side, each into its own accumulators: 4 memory streams per core (2 for two rows) read a
/// panel at ~0.9-1.0 of the machine's streaming bandwidth where one stream reached 0.75-0.8.
template <int MR, class Step>
inline void multiStream(int64_t steps, __m512 (&acc)[MR][4], Step step) {
  constexpr int S = MR == 1 ? 4 : MR == 2 ? 2 : 1;
  int64_t i = 0;
  if (S > 1 && steps >= 4 * S) {
    __m512 more[S - 1 > 0 ? S - 1 : 1][MR][4];
    for (int t = 0; t < S - 1; t++) zero(more[t]);
    const int64_t part = steps / S;
    for (; i < part; i++) {
      step(i, acc);
      for (int t = 0; t < S - 1; t++) step(i + (t + 1) * part, more[t]);
    }
    for (int t = 0; t < S - 1; t++)
      for (int r = 0; r < MR; r++)
        for (int j = 0; j < 4; j++) acc[r][j] = _mm512_add_ps(acc[r][j], more[t][r][j]);
    i = S * part;
  }
  for (; i < steps; i++) step(i, acc);
}

template <int MR>
void rowsF32(const PackedWeights& w, int64_t p, const float* x, int64_t ldx, float* y, int64_t ldy,
             const float* bias, const QuantizedRows&) {
  __m512 acc[MR][4];
  zero(acc);
  const float* panel = w.f32Panel(p);
  multiStream<MR>(w.k, acc, [&](int64_t k, __m512(&a)[MR][4]) {
    const float* wk = panel + k * kPanel;
    prefetchRow(wk);
    for (int j = 0; j < 4; j++) {
      const __m512 v = _mm512_load_ps(wk + 16 * j);
      for (int r = 0; r < MR; r++) a[r][j] = _mm512_fmadd_ps(v, _mm512_set1_ps(x[r * ldx + k]), a[r][j]);
    }
  });
  storeRows(acc, p * kPanel, w.n, y, ldy, bias);
}

template <int MR>
void rowsBf16(const PackedWeights& w, int64_t p, const float* x, int64_t ldx, float* y, int64_t ldy,
              const float* bias, const QuantizedRows&) {
  __m512 acc[MR][4];
  zero(acc);
  const uint16_t* panel = w.bf16Panel(p);
  const __m512i hiMask = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
  const int64_t pairs = w.k / 2;
  multiStream<MR>(pairs, acc, [&](int64_t kp, __m512(&a)[MR][4]) {
    const uint16_t* wk = panel + kp * 2 * kPanel;
    prefetchRow(wk);
    for (int j = 0; j < 4; j++) {
      const __m512i v = _mm512_load_si512(wk + 32 * j);
      const __m512 even = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
      const __m512 odd = _mm512_castsi512_ps(_mm512_and_si512(v, hiMask));
      for (int r = 0; r < MR; r++) {
        a[r][j] = _mm512_fmadd_ps(even, _mm512_set1_ps(x[r * ldx + 2 * kp]), a[r][j]);
        a[r][j] = _mm512_fmadd_ps(odd, _mm512_set1_ps(x[r * ldx + 2 * kp + 1]), a[r][j]);
      }
    }
  });
  if (w.k & 1) {  // the last pair holds only its even k
    const uint16_t* wk = panel + pairs * 2 * kPanel;
    for (int j = 0; j < 4; j++) {
      const __m512 even = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_load_si512(wk + 32 * j), 16));
      for (int r = 0; r < MR; r++)
        acc[r][j] = _mm512_fmadd_ps(even, _mm512_set1_ps(x[r * ldx + w.k - 1]), acc[r][j]);
    }
  }
  storeRows(acc, p * kPanel, w.n, y, ldy, bias);
}

/// q8_0 with x quantized per 32-block (as llama.cpp does): per 4 k, one VNNI dpbusd multiplies a
/// column's stored q + 128 (unsigned) by the row's 4 int8 of x (broadcast from memory) and adds
/// into int32; per block, subtracting 128 * sum(qx) leaves the exact integer dot product, which
/// the weight scale times the x scale turns into f32.
template <int MR>
void rowsQ8(const PackedWeights& w, int64_t p, const float*, int64_t, float* y, int64_t ldy, const float* bias,
            const QuantizedRows& xq) {
  __m512 acc[MR][4];
  zero(acc);
  const int64_t blocks = w.k / kQ8Block;
  multiStream<MR>(blocks, acc, [&](int64_t b, __m512(&a)[MR][4]) {
    const uint8_t* blk = w.q8Block(p, b);
    __m512i dot[MR][4];
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < 4; j++) dot[r][j] = _mm512_setzero_si512();
    for (int g = 0; g < kQ8Block / 4; g++) {
      const uint8_t* q = blk + g * 4 * kPanel;
      prefetchRow(q);
      for (int j = 0; j < 4; j++) {
        const __m512i v = _mm512_load_si512(q + 64 * j);
        for (int r = 0; r < MR; r++) {
          int32_t x4;
          __builtin_memcpy(&x4, xq.q + r * w.k + b * kQ8Block + 4 * g, 4);
          dot[r][j] = _mm512_dpbusd_epi32(dot[r][j], v, _mm512_set1_epi32(x4));
        }
      }
    }
    for (int j = 0; j < 4; j++) {
      const __m512 ws = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(blk + kQ8ScaleOffset) + j));
      for (int r = 0; r < MR; r++) {
        const __m512i exact = _mm512_sub_epi32(dot[r][j], _mm512_set1_epi32(xq.sum128[r * blocks + b]));
        const __m512 s = _mm512_mul_ps(ws, _mm512_set1_ps(xq.scale[r * blocks + b]));
        a[r][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), s, a[r][j]);
      }
    }
  });
  storeRows(acc, p * kPanel, w.n, y, ldy, bias);
}

using RowsFn = void (*)(const PackedWeights&, int64_t, const float*, int64_t, float*, int64_t, const float*,
                        const QuantizedRows&);

#define PDS_ROWS_TABLE(fn)                                                                          \
  RowsFn fn##Table(int mr) {                                                                        \
    static const RowsFn t[kMaxRows + 1] = {nullptr, fn<1>, fn<2>, fn<3>, fn<4>, fn<5>, fn<6>};     \
    return t[mr];                                                                                   \
  }
PDS_ROWS_TABLE(rowsF32)
PDS_ROWS_TABLE(rowsBf16)
PDS_ROWS_TABLE(rowsQ8)
#undef PDS_ROWS_TABLE

/// Rows of x in groups of at most 6, balanced (8 rows -> 4 + 4), each group over every panel.
template <RowsFn (*Pick)(int)>
void panelKernel(const PackedWeights& w, const float* x, int64_t ldx, int64_t m, int64_t p0, int64_t p1, float* y,
                 int64_t ldy, const float* bias, const QuantizedRows* xq) {
  const int64_t groups = (m + kMaxRows - 1) / kMaxRows;
  for (int64_t p = p0; p < p1; p++) {
    for (int64_t g = 0, r0 = 0; g < groups; g++) {
      const int64_t rows = (m - r0) / (groups - g);
      const QuantizedRows xr = xq ? xq->rows(r0, w.k) : QuantizedRows{};
      Pick(static_cast<int>(rows))(w, p, x + r0 * ldx, ldx, y + r0 * ldy, ldy, bias, xr);
      r0 += rows;
    }
  }
}

}  // namespace

PanelKernel avx512Kernel(DType store) {
  switch (store) {
    case DType::F32:
      return panelKernel<rowsF32Table>;
    case DType::BF16:
      return panelKernel<rowsBf16Table>;
    default:
      return panelKernel<rowsQ8Table>;
  }
}

void quantizeRowsQ8Avx512(const float* x, int64_t m, int64_t k, int8_t* q, float* scale, int32_t* sum128) {
  const __m512 absMask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (int64_t i = 0; i < m * k / kQ8Block; i++) {
    const __m512 a = _mm512_loadu_ps(x + i * kQ8Block), b = _mm512_loadu_ps(x + i * kQ8Block + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(a, absMask), _mm512_and_ps(b, absMask)));
    const float d = amax / 127.f, id = d != 0.f ? 1.f / d : 0.f;
    const __m512i qa = _mm512_cvtps_epi32(_mm512_mul_ps(a, _mm512_set1_ps(id)));
    const __m512i qb = _mm512_cvtps_epi32(_mm512_mul_ps(b, _mm512_set1_ps(id)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i * kQ8Block), _mm512_cvtepi32_epi8(qa));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i * kQ8Block + 16), _mm512_cvtepi32_epi8(qb));
    scale[i] = d;
    sum128[i] = 128 * _mm512_reduce_add_epi32(_mm512_add_epi32(qa, qb));
  }
}

void convertRowsToBf16Avx512(const float* x, int64_t count, uint16_t* out) {
  int64_t i = 0;
  for (; i + 32 <= count; i += 32) {
    const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
    _mm512_storeu_si512(out + i, reinterpret_cast<const __m512i&>(v));
  }
  for (; i < count; i++) out[i] = f32ToBf16(x[i]);
}

}  // namespace pds
