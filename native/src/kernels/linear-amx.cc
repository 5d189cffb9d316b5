// Drives the AMX kernels: x to bf16 once per call, then (row chunk, panel) tasks handed out
// dynamically to the pool threads; q8_0 panels are widened into a per-thread L2 buffer.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>

#include "kernels/linear-impl.h"
#include "runtime/thread-pool.h"

namespace pds {

namespace {

/// Rows of x per task: the bf16 rows of a chunk (<= 1 MiB at k = 2048) stay in L2 while every
/// panel passes; q8_0 widening is repeated once per chunk.
constexpr int64_t kChunkRows = 256;

/// A grow-only, 64-byte aligned scratch buffer: tile rows that straddle cache lines cost AMX
/// twice the loads (std::vector's 16-byte alignment made q8_0 ~40% slower).
template <class T>
class AlignedBuffer {
 public:
  T* get(size_t count) {
    if (count > size_) {
      data_.reset(static_cast<T*>(std::aligned_alloc(64, (count * sizeof(T) + 63) / 64 * 64)));
      if (!data_) throw std::bad_alloc();
      size_ = count;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  size_t size_ = 0;
};

}  // namespace

void amxForward(const PackedWeights& w, const float* x, int64_t m, float* y, const float* bias) {
  ThreadPool& pool = ThreadPool::global();
  const int64_t mp = (m + 15) / 16 * 16, lda = w.kp;
  thread_local AlignedBuffer<uint16_t> xb;
  uint16_t* const a = xb.get(mp * lda);  // the caller's buffer (a thread_local named in a task is the worker's)
  pool.parallelFor(mp, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) {
      uint16_t* row = a + r * lda;
      if (r < m) convertRowsToBf16(x + r * w.k, 1, w.k, row);
      std::fill(row + (r < m ? w.k : 0), row + lda, 0);
    }
  }, 16);
  const int64_t chunks = (m + kChunkRows - 1) / kChunkRows, tasks = chunks * w.np;
  std::atomic<int64_t> next{0};
  pool.parallelFor(pool.size(), [&](int64_t, int64_t, int) {
    thread_local AlignedBuffer<uint16_t> scratch;
    uint16_t* const panel = w.store == DType::Q8_0 ? scratch.get(w.kp * kPanel) : nullptr;
    amxConfigure();
    for (int64_t t; (t = next.fetch_add(1)) < tasks;) {
      const int64_t chunk = t / w.np, p = t % w.np, r0 = chunk * kChunkRows;
      const uint16_t* b = w.bf16Panel(p);
      if (w.store == DType::Q8_0) {
        dequantQ8PanelBf16(w, p, panel);
        b = panel;
      }
      amxPanel(a + r0 * lda, lda, std::min(kChunkRows, m - r0), b, w.kp, p * kPanel, w.n, y + r0 * w.n, w.n,
               bias);
    }
    amxRelease();
  });
}

}  // namespace pds
