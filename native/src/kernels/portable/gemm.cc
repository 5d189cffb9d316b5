// Portable Linear kernels (any x86-64 / any CPU): decode 32 k of a panel to f32, then
// accumulate up to 8 rows of x against it. The compiler vectorizes the 64-wide inner loops.
#include <algorithm>
#include <cstring>

#include "kernels/linear-impl.h"

namespace pds {

namespace {

constexpr int kRows = 8;
constexpr int kStep = 32;

/// tmp[kk][0..64) = W[panel p columns][k0 + kk] for kk < kn.
void decodeF32(const PackedWeights& w, int64_t p, int64_t k0, int64_t kn, float* tmp) {
  std::memcpy(tmp, w.f32Panel(p) + k0 * kPanel, kn * kPanel * sizeof(float));
}

void decodeBf16(const PackedWeights& w, int64_t p, int64_t k0, int64_t kn, float* tmp) {
  const uint16_t* s = w.bf16Panel(p) + k0 * kPanel;  // k0 is even
  for (int64_t kk = 0; kk < kn; kk++)
    for (int j = 0; j < kPanel; j++) tmp[kk * kPanel + j] = bf16ToF32(s[(kk / 2) * 2 * kPanel + j * 2 + (kk & 1)]);
}

void decodeQ8(const PackedWeights& w, int64_t p, int64_t k0, int64_t kn, float* tmp) {
  const uint8_t* blk = w.q8Block(p, k0 / kQ8Block);  // k0 is a block start and kn == 32
  const uint16_t* sc = reinterpret_cast<const uint16_t*>(blk + kQ8ScaleOffset);
  float d[kPanel];
  for (int j = 0; j < kPanel; j++) d[j] = f16ToF32(sc[j]);
  for (int64_t kk = 0; kk < kn; kk++)
    for (int j = 0; j < kPanel; j++) tmp[kk * kPanel + j] = d[j] * q8Load(blk[q8Offset(kk, j)]);
}

template <void (*Decode)(const PackedWeights&, int64_t, int64_t, int64_t, float*)>
void panelKernel(const PackedWeights& w, const float* x, int64_t ldx, int64_t m, int64_t p0, int64_t p1, float* y,
                 int64_t ldy, const float* bias, const QuantizedRows*) {
  alignas(64) float tmp[kStep * kPanel];
  alignas(64) float acc[kRows * kPanel];
  for (int64_t p = p0; p < p1; p++) {
    for (int64_t m0 = 0; m0 < m; m0 += kRows) {
      const int64_t mr = std::min<int64_t>(kRows, m - m0);
      std::fill(acc, acc + mr * kPanel, 0.f);
      for (int64_t k0 = 0; k0 < w.k; k0 += kStep) {
        const int64_t kn = std::min<int64_t>(kStep, w.k - k0);
        Decode(w, p, k0, kn, tmp);
        for (int64_t r = 0; r < mr; r++) {
          const float* xr = x + (m0 + r) * ldx + k0;
          float* a = acc + r * kPanel;
          for (int64_t kk = 0; kk < kn; kk++) {
            const float xv = xr[kk];
            const float* t = tmp + kk * kPanel;
            for (int j = 0; j < kPanel; j++) a[j] += xv * t[j];
          }
        }
      }
      storePanelRows(acc, mr, p * kPanel, w.n, y + m0 * ldy, ldy, bias);
    }
  }
}

}  // namespace

PanelKernel portableKernel(DType store) {
  switch (store) {
    case DType::F32:
      return panelKernel<decodeF32>;
    case DType::BF16:
      return panelKernel<decodeBf16>;
    default:
      return panelKernel<decodeQ8>;
  }
}

}  // namespace pds
