// pds::Linear: packs W at construction and picks a kernel per call from the ISA and M.
#include "kernels/linear.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cpu-features.h"
#include "kernels/linear-impl.h"
#include "runtime/thread-pool.h"

namespace pds {

struct Linear::Impl {
  PackedWeights w;
  Isa isa = Isa::Portable;
  PanelKernel panel = nullptr;  // the hand-written kernel for this ISA (any M)
  std::string names[1];
};

namespace {

Isa isaFromName(const std::string& s) { return s == "avx512" ? Isa::Avx512 : s == "avx2" ? Isa::Avx2 : Isa::Portable; }

const char* dtypeName(DType d) { return d == DType::F32 ? "f32" : d == DType::BF16 ? "bf16" : "q8_0"; }

/// Runs kernel over panels x row chunks so that every pool thread gets work even when n is small.
void runPanels(const PackedWeights& w, PanelKernel kernel, const float* x, int64_t m, float* y,
               const float* bias) {
  ThreadPool& pool = ThreadPool::global();
  int64_t rowSplit = 1;
  if (w.np < pool.size() * 2 && m >= 16) rowSplit = std::min<int64_t>((pool.size() * 2 + w.np - 1) / w.np, m / 8);
  const int64_t rowsPer = (m + rowSplit - 1) / rowSplit;
  pool.parallelFor(w.np * rowSplit, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t p = t % w.np, r0 = (t / w.np) * rowsPer, rows = std::min(rowsPer, m - r0);
      if (rows > 0) kernel(w, x + r0 * w.k, w.k, rows, p, p + 1, y + r0 * w.n, w.n, bias);
    }
  });
}

}  // namespace

Linear::Linear(int64_t n, int64_t k, DType srcDtype, const void* src, DType store)
    : n_(n), k_(k), store_(store), impl_(new Impl) {
  impl_->w = packWeights(n, k, srcDtype, src, store);
  impl_->isa = isaFromName(kernelIsa());
  impl_->panel = portableKernel(store);
  impl_->names[0] = std::string("portable-") + dtypeName(store);
}

Linear::~Linear() = default;

void Linear::forward(const float* x, int64_t m, float* y, const float* bias) const {
  if (m <= 0) return;
  runPanels(impl_->w, impl_->panel, x, m, y, bias);
}

void Linear::row(int64_t i, float* out) const {
  if (i < 0 || i >= n_) throw std::out_of_range("Linear::row: index " + std::to_string(i) + " out of range");
  unpackRow(impl_->w, i, out);
}

size_t Linear::weightBytes() const { return impl_->w.bytes; }

const char* Linear::kernelName(int64_t) const { return impl_->names[0].c_str(); }

}  // namespace pds
