// Internal to Linear: the packed weight layouts and the per-ISA kernels that read them.
//
// Every storage dtype keeps W in column panels of kPanel = 64 output rows of W (64 columns of
// y), so one GEMV streams one contiguous range per panel and AMX / oneDNN read the same bytes:
//   F32 : [np][kp][64] f32, kp = k rounded up to 16 (oneDNN's BA16a64b for B = W^T)
//   BF16: [np][kp/2][64][2] bf16, kp = k rounded up to 32 (pairs of k per column: the AMX / VNNI
//         "B" layout, oneDNN's BA16a64b2a)
//   Q8_0: [np][k/32] blocks of 2176 bytes: uint8 q + 128 [8][64 n][4 k] (four consecutive k of a
//         column in one 32-bit lane: dpbusd's unsigned operand), then f16 scale[64 n]
// Columns past n and k past the real k are zero. np = ceil(n / 64).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/dtype.h"

namespace pds {

constexpr int kPanel = 64;
constexpr int kQ8PanelBlockBytes = kQ8Block * kPanel + kPanel * 2;  // 2176
constexpr int kQ8ScaleOffset = kQ8Block * kPanel;                     // f16 scales within a block

/// Byte offset of (k within the block kk, panel column c) in a Q8_0 panel block.
inline int64_t q8Offset(int64_t kk, int64_t c) { return (kk / 4) * (4 * kPanel) + c * 4 + (kk & 3); }
/// A stored q8_0 byte (q + 128) and back.
inline uint8_t q8Store(int8_t q) { return static_cast<uint8_t>(q) ^ 0x80; }
inline int8_t q8Load(uint8_t b) { return static_cast<int8_t>(b ^ 0x80); }

/// The instruction set one Linear's kernels were chosen for (fixed at construction).
enum class Isa : int { Portable = 0, Avx2 = 1, Avx512 = 2 };

/// W packed as described above, in one 64-byte aligned buffer.
struct PackedWeights {
  int64_t n = 0, k = 0, kp = 0, np = 0;
  DType store = DType::F32;
  size_t bytes = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> data{nullptr, nullptr};

  const float* f32Panel(int64_t p) const { return reinterpret_cast<const float*>(data.get()) + p * kp * kPanel; }
  const uint16_t* bf16Panel(int64_t p) const {
    return reinterpret_cast<const uint16_t*>(data.get()) + p * kp * kPanel;
  }
  const uint8_t* q8Block(int64_t p, int64_t b) const {
    return data.get() + (p * (kp / kQ8Block) + b) * kQ8PanelBlockBytes;
  }
};

/// Packs row-major src [n][k] (srcDtype) into `store`'s layout; throws std::invalid_argument.
PackedWeights packWeights(int64_t n, int64_t k, DType srcDtype, const void* src, DType store);
/// Row i of W (0 <= i < n) dequantized to f32.
void unpackRow(const PackedWeights& w, int64_t i, float* out);
/// ggml's q8_0 rule for one block of 32: scale = amax / 127 (stored as f16), q = round(x / scale).
void quantizeQ8Block(const float* x, uint16_t* scaleF16, int8_t* q);

/// x quantized per row and 32-block for the VNNI q8_0 kernel: q[r][k] = round(x / d) (int8),
/// d = scale[r][k / 32] = amax / 127, and sum128[r][k / 32] = 128 * sum of the block's q (what
/// the +128 of the stored weights adds to a dot product). Row r starts at q + r * k and at
/// r * (k / 32) in scale and sum128.
struct QuantizedRows {
  const int8_t* q = nullptr;
  const float* scale = nullptr;
  const int32_t* sum128 = nullptr;
  QuantizedRows rows(int64_t r, int64_t k) const {
    return q ? QuantizedRows{q + r * k, scale + r * (k / 32), sum128 + r * (k / 32)} : QuantizedRows{};
  }
};

/// y[m][c] = x[m][:] . W[c][:] (+ bias[c]) for the columns c of panels [p0, p1), clipped to n.
/// ldx / ldy are the row strides of x and y. Any m >= 1. xq: x quantized (rows aligned with x)
/// for the kernels that read it (kernelNeedsQuantizedX), else null.
using PanelKernel = void (*)(const PackedWeights& w, const float* x, int64_t ldx, int64_t m, int64_t p0,
                             int64_t p1, float* y, int64_t ldy, const float* bias, const QuantizedRows* xq);

/// Quantizes m rows of k (k % 32 == 0) as QuantizedRows describes (round to nearest even).
void quantizeRowsQ8Avx512(const float* x, int64_t m, int64_t k, int8_t* q, float* scale, int32_t* sum128);

PanelKernel portableKernel(DType store);
PanelKernel avx2Kernel(DType store);
PanelKernel avx512Kernel(DType store);

/// oneDNN matmul over the packed panels (F32 / BF16 storage) for large M: onednnAccepts tells
/// whether oneDNN reads our layout as its own fast blocked format on this CPU.
bool onednnAccepts(const PackedWeights& w);
void onednnForward(const PackedWeights& w, const float* x, int64_t m, float* y, const float* bias);

/// AMX-BF16 path (avx512/amx-gemm.cc, driven by linear-amx.cc): amxForward runs any M for
/// BF16 or Q8_0 storage with x rounded to bf16; q8_0 panels are widened to bf16 per call.
void amxForward(const PackedWeights& w, const float* x, int64_t m, float* y, const float* bias);
void amxConfigure();
void amxRelease();
/// y[r][c0 + j] for r < m, j < 64 (clipped to n) from bf16 x rows (stride lda, 16-row padded,
/// k a multiple of 32) and one bf16 panel b in the VNNI-pair layout.
void amxPanel(const uint16_t* xb, int64_t lda, int64_t m, const uint16_t* b, int64_t k, int64_t c0, int64_t n,
              float* y, int64_t ldy, const float* bias);
/// Panel p of q8_0 storage as bf16 scale * q in the BF16 panel layout (kp * 64 values).
void dequantQ8PanelBf16(const PackedWeights& w, int64_t p, uint16_t* out);

/// out[m][k] = bf16(x[m][k]) (round to nearest even), AVX-512 when the CPU has it.
void convertRowsToBf16(const float* x, int64_t m, int64_t k, uint16_t* out);
void convertRowsToBf16Avx512(const float* x, int64_t count, uint16_t* out);

/// Benchmark probes (bindings/bench-binding.cc): FLOPs done by `iters` rounds of independent FMA
/// chains, and a streaming read of [data, data + bytes) (64-byte aligned, bytes % 256 == 0).
double fmaChainsAvx512(int64_t iters);
double fmaChainsAvx2(int64_t iters);
float readSumAvx512(const void* data, size_t bytes);
float readSumAvx2(const void* data, size_t bytes);

/// Writes a tile of results rows [0, m) x panel columns [c0, c0 + 64) clipped to n, adding bias.
inline void storePanelRows(const float* acc, int64_t m, int64_t c0, int64_t n, float* y, int64_t ldy,
                           const float* bias) {
  int64_t cols = n - c0 < kPanel ? n - c0 : kPanel;
  for (int64_t r = 0; r < m; r++)
    for (int64_t j = 0; j < cols; j++) y[r * ldy + c0 + j] = acc[r * kPanel + j] + (bias ? bias[c0 + j] : 0.f);
}

}  // namespace pds
