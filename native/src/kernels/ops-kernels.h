// Per-ISA inner loops of ops.h: the row- and KV-block-level work worth vectorising. The
// drivers in ops-*.cc own threading, tiling and bounds; these only see contiguous rows.
#pragma once
#include <cstdint>

namespace pds {

/// Online-softmax state of one query vector (flash-attention style): running max m, running
/// sum l of exp(score - m), and acc[headDim] = sum of exp(score - m) * v.
struct AttnState {
  float m;
  float l;
  float* acc;
};

/// Scratch floats per query that the attend kernels need for a block of n keys.
constexpr int64_t kScoreStride(int64_t n) { return (n + 15) / 16 * 16; }

/// One ISA's kernels. Every function is single-threaded and needs no alignment.
struct OpsKernels {
  const char* isa;
  /// out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]; out may == x.
  void (*rmsnormRow)(const float* x, const float* w, int64_t n, float eps, float* out);
  /// In-place numerically stable softmax of one row.
  void (*softmaxRow)(float* x, int64_t n);
  /// out[i] = silu(g[i]) * u[i]; out may == g.
  void (*swiglu)(const float* g, const float* u, int64_t n, float* out);
  /// Folds keys [0, n) of one KV block into st[0..nq) for the nq (pre-scaled) queries
  /// q[nq][d] that read it with the same causal limit (the query heads of one kv head).
  /// Key j is k + j * stride, its value v + j * stride. scores: nq * kScoreStride(n) floats.
  void (*attendF32)(const float* q, int64_t nq, const float* k, const float* v, int64_t stride, int64_t n,
                    int64_t d, float* scores, AttnState* st);
  void (*attendBf16)(const float* q, int64_t nq, const uint16_t* k, const uint16_t* v, int64_t stride, int64_t n,
                     int64_t d, float* scores, AttnState* st);
};

/// The kernels for kernelIsa(), chosen on first use and fixed for the process (so
/// PDSERVE_ISA must be set before the first op runs).
const OpsKernels& opsKernels();

const OpsKernels& portableOpsKernels();
/// Defined in kernels/avx512 (compiled for Sapphire Rapids); call only when the CPU has it.
const OpsKernels& avx512OpsKernels();
/// Defined in kernels/avx2 (AVX2 + FMA); call only when the CPU has it.
const OpsKernels& avx2OpsKernels();

}  // namespace pds
