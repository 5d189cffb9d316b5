// A weight matrix and its product with activations: the GEMM/GEMV of every projection.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/dtype.h"

namespace pds {

/// W[n][k] (out x in, row-major as in HF and GGUF). Built once at model load; the storage
/// dtype may differ from the source (f32 -> bf16 / q8_0 quantizes here). The implementation
/// chooses its internal layout (repacked panels, oneDNN-reordered copies, ...) and its kernel
/// per call from the CPU features and M.
class Linear {
 public:
  /// src: row-major [n][k] in src_dtype (F32, F16, BF16; Q8_0 in ggml's 34-byte block layout,
  /// k a multiple of 32). store: F32, BF16 or Q8_0. Throws std::invalid_argument on bad shapes.
  Linear(int64_t n, int64_t k, DType srcDtype, const void* src, DType store);
  ~Linear();

  /// y[m][n] = x[m][k] * W^T (+ bias[n] when non-null). Uses the global ThreadPool (or the
  /// GEMM library's threads); blocks the calling thread until done. Safe to call from any
  /// non-JS thread; calls on one Linear may run concurrently.
  void forward(const float* x, int64_t m, float* y, const float* bias = nullptr) const;

  /// Row i of W dequantized to f32 (embedding lookup).
  void row(int64_t i, float* out) const;

  int64_t n() const { return n_; }
  int64_t k() const { return k_; }
  DType dtype() const { return store_; }
  /// Bytes of weights read by one GEMV (the bandwidth floor's numerator).
  size_t weightBytes() const;
  /// Name of the kernel forward() uses for this M ("avx512-gemv", "onednn-amx-bf16", ...).
  const char* kernelName(int64_t m) const;

  struct Impl;

 private:
  int64_t n_, k_;
  DType store_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pds
