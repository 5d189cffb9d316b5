// Packing W into the panel layouts of linear-impl.h, and reading rows back.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu-features.h"
#include "kernels/linear-impl.h"
#include "runtime/thread-pool.h"

namespace pds {

namespace {

int64_t roundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

bool validDType(DType d) { return d == DType::F32 || d == DType::F16 || d == DType::BF16 || d == DType::Q8_0; }

/// Row i of the source [n][k] decoded to f32.
void decodeSourceRow(DType dt, const void* src, int64_t k, int64_t i, float* out) {
  switch (dt) {
    case DType::F32:
      std::memcpy(out, static_cast<const float*>(src) + i * k, k * sizeof(float));
      return;
    case DType::F16: {
      const uint16_t* s = static_cast<const uint16_t*>(src) + i * k;
      for (int64_t j = 0; j < k; j++) out[j] = f16ToF32(s[j]);
      return;
    }
    case DType::BF16: {
      const uint16_t* s = static_cast<const uint16_t*>(src) + i * k;
      for (int64_t j = 0; j < k; j++) out[j] = bf16ToF32(s[j]);
      return;
    }
    case DType::Q8_0: {
      const uint8_t* s = static_cast<const uint8_t*>(src) + i * (k / kQ8Block) * kQ8BlockBytes;
      for (int64_t b = 0; b < k / kQ8Block; b++, s += kQ8BlockBytes) {
        uint16_t h;
        std::memcpy(&h, s, 2);
        float d = f16ToF32(h);
        for (int j = 0; j < kQ8Block; j++) out[b * kQ8Block + j] = d * static_cast<int8_t>(s[2 + j]);
      }
      return;
    }
  }
}

void packF32Panel(PackedWeights& w, int64_t p, const float* rows, int64_t count) {
  float* dst = reinterpret_cast<float*>(w.data.get()) + p * w.kp * kPanel;
  for (int64_t r = 0; r < count; r++)
    for (int64_t j = 0; j < w.k; j++) dst[j * kPanel + r] = rows[r * w.k + j];
}

void packBf16Panel(PackedWeights& w, int64_t p, const float* rows, int64_t count) {
  uint16_t* dst = reinterpret_cast<uint16_t*>(w.data.get()) + p * w.kp * kPanel;
  for (int64_t r = 0; r < count; r++)
    for (int64_t j = 0; j < w.k; j++) dst[(j / 2) * 2 * kPanel + r * 2 + (j & 1)] = f32ToBf16(rows[r * w.k + j]);
}

void packQ8Panel(PackedWeights& w, int64_t p, const float* rows, int64_t count) {
  for (int64_t b = 0; b < w.kp / kQ8Block; b++) {
    uint8_t* blk = const_cast<uint8_t*>(w.q8Block(p, b));
    uint16_t* scales = reinterpret_cast<uint16_t*>(blk + kQ8ScaleOffset);
    for (int64_t r = 0; r < count; r++) {
      int8_t q[kQ8Block];
      quantizeQ8Block(rows + r * w.k + b * kQ8Block, &scales[r], q);
      for (int j = 0; j < kQ8Block; j++) blk[q8Offset(j, r)] = q8Store(q[j]);
    }
  }
}

/// q8_0 source into q8_0 storage: the bits move unchanged, so a GGUF file round-trips exactly.
void copyQ8Panel(PackedWeights& w, int64_t p, const uint8_t* src, int64_t count) {
  int64_t nb = w.kp / kQ8Block;
  for (int64_t r = 0; r < count; r++) {
    const uint8_t* s = src + (p * kPanel + r) * nb * kQ8BlockBytes;
    for (int64_t b = 0; b < nb; b++, s += kQ8BlockBytes) {
      uint8_t* blk = const_cast<uint8_t*>(w.q8Block(p, b));
      std::memcpy(blk + kQ8ScaleOffset + r * 2, s, 2);
      for (int j = 0; j < kQ8Block; j++) blk[q8Offset(j, r)] = q8Store(static_cast<int8_t>(s[2 + j]));
    }
  }
}

}  // namespace

void quantizeQ8Block(const float* x, uint16_t* scaleF16, int8_t* q) {
  float amax = 0.f;
  for (int j = 0; j < kQ8Block; j++) amax = std::fmax(amax, std::fabs(x[j]));
  const float d = amax / 127.f;
  const float id = d != 0.f ? 1.f / d : 0.f;
  *scaleF16 = f32ToF16(d);
  for (int j = 0; j < kQ8Block; j++) q[j] = static_cast<int8_t>(std::roundf(x[j] * id));
}

PackedWeights packWeights(int64_t n, int64_t k, DType srcDtype, const void* src, DType store) {
  if (n <= 0 || k <= 0) throw std::invalid_argument("Linear: n and k must be positive");
  if (!src) throw std::invalid_argument("Linear: null source");
  if (!validDType(srcDtype)) throw std::invalid_argument("Linear: unknown source dtype");
  if (store != DType::F32 && store != DType::BF16 && store != DType::Q8_0)
    throw std::invalid_argument("Linear: storage dtype must be f32, bf16 or q8_0");
  if ((store == DType::Q8_0 || srcDtype == DType::Q8_0) && k % kQ8Block != 0)
    throw std::invalid_argument("Linear: q8_0 needs k to be a multiple of 32, got " + std::to_string(k));
  PackedWeights w;
  w.n = n;
  w.k = k;
  w.store = store;
  w.np = (n + kPanel - 1) / kPanel;
  w.kp = store == DType::F32 ? roundUp(k, 16) : store == DType::BF16 ? roundUp(k, 32) : k;
  w.bytes = store == DType::Q8_0 ? w.np * (k / kQ8Block) * kQ8PanelBlockBytes
                                 : w.np * w.kp * kPanel * (store == DType::F32 ? 4 : 2);
  void* mem = std::aligned_alloc(64, roundUp(static_cast<int64_t>(w.bytes), 64));
  if (!mem) throw std::bad_alloc();
  w.data = std::unique_ptr<uint8_t, void (*)(void*)>(static_cast<uint8_t*>(mem), std::free);
  ThreadPool::global().parallelFor(w.np, [&](int64_t p0, int64_t p1, int) {
    std::vector<float> rows(kPanel * k);
    for (int64_t p = p0; p < p1; p++) {
      uint8_t* begin = store == DType::Q8_0 ? const_cast<uint8_t*>(w.q8Block(p, 0))
                                            : w.data.get() + (w.bytes / w.np) * p;
      std::memset(begin, 0, w.bytes / w.np);
      int64_t count = std::min<int64_t>(kPanel, n - p * kPanel);
      if (store == DType::Q8_0 && srcDtype == DType::Q8_0) {
        copyQ8Panel(w, p, static_cast<const uint8_t*>(src), count);
        continue;
      }
      for (int64_t r = 0; r < count; r++) decodeSourceRow(srcDtype, src, k, p * kPanel + r, &rows[r * k]);
      if (store == DType::F32) packF32Panel(w, p, rows.data(), count);
      else if (store == DType::BF16) packBf16Panel(w, p, rows.data(), count);
      else packQ8Panel(w, p, rows.data(), count);
    }
  });
  return w;
}

void convertRowsToBf16(const float* x, int64_t m, int64_t k, uint16_t* out) {
  static const bool avx512 = cpuFeatures().avx512bf16 && cpuFeatures().avx512bw;
  if (avx512) {
    convertRowsToBf16Avx512(x, m * k, out);
    return;
  }
  for (int64_t i = 0; i < m * k; i++) out[i] = f32ToBf16(x[i]);
}

void unpackRow(const PackedWeights& w, int64_t i, float* out) {
  int64_t p = i / kPanel, r = i % kPanel;
  if (w.store == DType::F32) {
    const float* s = w.f32Panel(p);
    for (int64_t j = 0; j < w.k; j++) out[j] = s[j * kPanel + r];
  } else if (w.store == DType::BF16) {
    const uint16_t* s = w.bf16Panel(p);
    for (int64_t j = 0; j < w.k; j++) out[j] = bf16ToF32(s[(j / 2) * 2 * kPanel + r * 2 + (j & 1)]);
  } else {
    for (int64_t b = 0; b < w.kp / kQ8Block; b++) {
      const uint8_t* blk = w.q8Block(p, b);
      uint16_t h;
      std::memcpy(&h, blk + kQ8ScaleOffset + r * 2, 2);
      float d = f16ToF32(h);
      for (int j = 0; j < kQ8Block; j++) out[b * kQ8Block + j] = d * q8Load(blk[q8Offset(j, r)]);
    }
  }
}

}  // namespace pds
