// pds::Linear: packs W at construction and picks a kernel per call from the ISA and M.
//
// Kernel per (storage, M) on an AVX-512 + AMX machine (PDSERVE_ISA=avx2 / portable force the
// lower rows, where the panel kernel serves every M):
//   f32 : any M  avx512-f32 (panels streamed once per 6 rows, f32 FMA; oneDNN's brgemm is at most
//         ~8% faster on a quiet machine and stalls under CPU contention: PDSERVE_LINEAR_GEMM=onednn)
//   bf16: M < 8  avx512-gemv-bf16 (shift-widened, f32 x)      M >= 8  amx-bf16 (x in bf16)
//   q8_0: M < 16 avx512-vnni-q8_0 (x int8 per 32-block)       M >= 16 amx-q8_0 (panels widened
//         to bf16 per call in a per-thread L2 buffer, x in bf16)
#include "kernels/linear.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu-features.h"
#include "kernels/linear-impl.h"
#include "runtime/thread-pool.h"

namespace pds {

struct Linear::Impl {
  PackedWeights w;
  Isa isa = Isa::Portable;
  PanelKernel panel = nullptr;  // the hand-written kernel for this ISA (any M)
  bool quantizeX = false;       // the panel kernel reads x quantized to int8 (AVX-512 VNNI q8_0)
  bool onednn = false;          // large M through oneDNN (F32, BF16 storage)
  bool amx = false;             // large M through our AMX kernels (BF16, Q8_0 storage)
  int64_t gemmMinRows = 0;      // M from which the large-M path runs (0: never)
  std::string panelName, gemmName;
};

namespace {

/// M from which the large-M (compute-bound) path beats streaming the panels, measured on
/// 2048x2048 with 2 threads (SPR): f32 panels vs oneDNN (when forced) cross near 8-12 rows; bf16
/// GEMV vs AMX near 6-8; q8_0 VNNI GEMV vs AMX (which widens every panel to bf16 first) near 16.
int64_t gemmMinRows(DType store) { return store == DType::F32 ? 12 : store == DType::BF16 ? 8 : 16; }

Isa isaFromName(const std::string& s) { return s == "avx512" ? Isa::Avx512 : s == "avx2" ? Isa::Avx2 : Isa::Portable; }

const char* dtypeName(DType d) { return d == DType::F32 ? "f32" : d == DType::BF16 ? "bf16" : "q8_0"; }

/// Runs kernel over (row chunk, panel) tasks, handed out dynamically so a thread that the OS
/// delays (a shared 2-core machine) does not hold the others up. Rows split only when n is small.
void runPanels(const PackedWeights& w, PanelKernel kernel, const float* x, int64_t m, float* y, const float* bias,
               const QuantizedRows* xq) {
  ThreadPool& pool = ThreadPool::global();
  int64_t rowSplit = 1;
  if (w.np < pool.size() * 4 && m >= 16) rowSplit = std::min<int64_t>((pool.size() * 4 + w.np - 1) / w.np, m / 8);
  const int64_t rowsPer = (m + rowSplit - 1) / rowSplit, tasks = w.np * rowSplit;
  // A few tasks per grab keeps the atomic off the hot path for wide matrices (32000 rows: 500 panels).
  const int64_t grab = std::max<int64_t>(1, tasks / (pool.size() * 16));
  std::atomic<int64_t> next{0};
  pool.parallelFor(std::min<int64_t>(pool.size(), tasks), [&](int64_t, int64_t, int) {
    for (int64_t t0; (t0 = next.fetch_add(grab)) < tasks;) {
      for (int64_t t = t0; t < std::min(t0 + grab, tasks); t++) {
        const int64_t p = t % w.np, r0 = (t / w.np) * rowsPer, rows = std::min(rowsPer, m - r0);
        const QuantizedRows xr = xq ? xq->rows(r0, w.k) : QuantizedRows{};
        if (rows > 0) kernel(w, x + r0 * w.k, w.k, rows, p, p + 1, y + r0 * w.n, w.n, bias, xq ? &xr : nullptr);
      }
    }
  });
}

/// The small-M kernel: the ISA's panel kernel (q8_0 on AVX-512 needs VNNI, else AVX2's).
void choosePanelKernel(Linear::Impl& im, DType store) {
  const std::string dt = dtypeName(store);
  Isa isa = im.isa;
  if (isa == Isa::Avx512 && store == DType::Q8_0 && !cpuFeatures().avx512vnni) isa = Isa::Avx2;
  if (isa == Isa::Avx512) {
    im.panel = avx512Kernel(store);
    im.quantizeX = store == DType::Q8_0;
    im.panelName = im.quantizeX ? "avx512-vnni-q8_0" : store == DType::F32 ? "avx512-f32" : "avx512-gemv-bf16";
  } else if (isa == Isa::Avx2) {
    im.panel = avx2Kernel(store);
    im.panelName = "avx2-" + dt;
  } else {
    im.panel = portableKernel(store);
    im.panelName = "portable-" + dt;
  }
}

/// The large-M kernel, AVX-512 only: our AMX kernels for BF16 and Q8_0 (as fast as oneDNN's
/// bf16 brgemm here, and they share the pool's threads with dynamic scheduling instead of a
/// second, OpenMP, team). F32 keeps its panel kernel: oneDNN's f32 brgemm matched it within ~8%
/// when the machine was quiet but lost 2-5x whenever another process took a core (its static
/// OpenMP split waits for the descheduled thread). PDSERVE_LINEAR_GEMM=onednn selects oneDNN
/// (F32, BF16) and PDSERVE_LINEAR_GEMM_MIN the threshold (tests and comparisons).
void chooseGemmKernel(Linear::Impl& im, DType store) {
  if (im.isa != Isa::Avx512) return;
  const char* forced = std::getenv("PDSERVE_LINEAR_GEMM");
  const bool forceOnednn = forced && std::string(forced) == "onednn";
  const std::string dt = dtypeName(store);
  if (cpuFeatures().amxUsable && cpuFeatures().amxBf16 && store != DType::F32 && !forceOnednn) {
    im.amx = true;
    im.gemmName = "amx-" + dt;
  } else if ((store != DType::F32 || forceOnednn) && onednnAccepts(im.w)) {
    im.onednn = true;
    im.gemmName = "onednn-" + dt;
  } else {
    return;
  }
  im.gemmMinRows = gemmMinRows(store);
  if (const char* min = std::getenv("PDSERVE_LINEAR_GEMM_MIN")) im.gemmMinRows = std::max(1, std::atoi(min));
}

/// q8_0 on VNNI: x quantized once per call (per calling thread's buffers), then the panels.
void forwardQuantized(const Linear::Impl& im, const float* x, int64_t m, float* y, const float* bias) {
  thread_local std::vector<int8_t> q;
  thread_local std::vector<float> scale;
  thread_local std::vector<int32_t> sum128;
  const int64_t k = im.w.k, blocks = m * (k / kQ8Block);
  if (q.size() < static_cast<size_t>(m * k)) q.resize(m * k);
  if (scale.size() < static_cast<size_t>(blocks)) {
    scale.resize(blocks);
    sum128.resize(blocks);
  }
  quantizeRowsQ8Avx512(x, m, k, q.data(), scale.data(), sum128.data());
  const QuantizedRows xq{q.data(), scale.data(), sum128.data()};
  runPanels(im.w, im.panel, x, m, y, bias, &xq);
}

}  // namespace

Linear::Linear(int64_t n, int64_t k, DType srcDtype, const void* src, DType store)
    : n_(n), k_(k), store_(store), impl_(new Impl) {
  impl_->w = packWeights(n, k, srcDtype, src, store);
  impl_->isa = isaFromName(kernelIsa());
  choosePanelKernel(*impl_, store);
  chooseGemmKernel(*impl_, store);
}

Linear::~Linear() = default;

void Linear::forward(const float* x, int64_t m, float* y, const float* bias) const {
  if (m <= 0) return;
  const Impl& im = *impl_;
  if (im.gemmMinRows && m >= im.gemmMinRows) {
    if (im.amx) amxForward(im.w, x, m, y, bias);
    else onednnForward(im.w, x, m, y, bias);
    return;
  }
  if (im.quantizeX) forwardQuantized(im, x, m, y, bias);
  else runPanels(im.w, im.panel, x, m, y, bias, nullptr);
}

void Linear::row(int64_t i, float* out) const {
  if (i < 0 || i >= n_) throw std::out_of_range("Linear::row: index " + std::to_string(i) + " out of range");
  unpackRow(impl_->w, i, out);
}

size_t Linear::weightBytes() const { return impl_->w.bytes; }

const char* Linear::kernelName(int64_t m) const {
  const Impl& im = *impl_;
  return (im.gemmMinRows && m >= im.gemmMinRows ? im.gemmName : im.panelName).c_str();
}

}  // namespace pds
