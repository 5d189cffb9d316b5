// Top-k and top-p selection for the sampler (see sampling-select.h). Small k keeps a k-element
// heap fed by a vector pre-filter (only tokens at or above the heap's worst value are looked at),
// large k a nth_element; the nucleus is found in the best 64 or through a histogram of log-weights.
#include "kernels/sampling-select.h"

#include <algorithm>
#include <utility>

namespace pds {
namespace {

/// Above this k, selection partitions all kept tokens instead of keeping a heap.
constexpr int64_t kHeapMaxK = 512;
/// Tokens pre-filtered per kernel call; the filter value is the heap's worst between calls.
constexpr int64_t kChunk = 1024;
/// selectNucleus looks at this many best tokens before the histogram over all of them.
constexpr int64_t kNucleusWindow = 64;

struct WorseFirst {
  bool operator()(const Cand& a, const Cand& b) const { return better(a, b); }
};

void ensureIds(SelectScratch& s, int64_t n) {
  if (static_cast<int64_t>(s.ids.size()) < n) s.ids.resize(n);
}

/// s.cands = every kept token, ascending id.
void collectKept(const SamplingKernels& K, const float* x, int64_t n, Cutoff keep, SelectScratch& s) {
  ensureIds(s, n);
  const int64_t cnt = K.collectAtLeast(x, 0, n, keep.cut, s.ids.data());
  s.cands.clear();
  for (int64_t j = 0; j < cnt; j++) {
    const int32_t id = s.ids[j];
    if (keep.keeps(x[id], id)) s.cands.push_back({x[id], id});
  }
}

/// s.cands = the k best kept tokens as a heap whose front is the worst of them.
void heapBest(const SamplingKernels& K, const float* x, int64_t n, int64_t k, Cutoff keep, SelectScratch& s) {
  ensureIds(s, std::min(n, kChunk));
  auto& heap = s.cands;
  heap.clear();
  const WorseFirst cmp;
  for (int64_t b = 0; b < n; b += kChunk) {
    const int64_t e = std::min(n, b + kChunk);
    const bool full = static_cast<int64_t>(heap.size()) == k;
    const float filter = full ? std::max(keep.cut, heap.front().v) : keep.cut;
    const int64_t cnt = K.collectAtLeast(x, b, e, filter, s.ids.data());
    for (int64_t j = 0; j < cnt; j++) {
      const Cand c{x[s.ids[j]], s.ids[j]};
      if (!keep.keeps(c.v, c.id)) continue;
      if (static_cast<int64_t>(heap.size()) < k) {
        heap.push_back(c);
        std::push_heap(heap.begin(), heap.end(), cmp);
      } else if (better(c, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), cmp);
        heap.back() = c;
        std::push_heap(heap.begin(), heap.end(), cmp);
      }
    }
  }
}

/// Bins of selectNucleus's histogram over log-weights (max - x) / t, kBinsPerNat per nat; the
/// last bin takes everything below e^-32 of the best weight.
constexpr int64_t kBins = 4096;
constexpr float kBinsPerNat = 128.f;

}  // namespace

Cutoff selectTopK(const SamplingKernels& K, const float* x, int64_t n, int64_t k, Cutoff keep, SelectScratch& s) {
  if (k <= 0 || k >= n) return keep;
  if (k <= kHeapMaxK) {
    heapBest(K, x, n, k, keep, s);
    if (static_cast<int64_t>(s.cands.size()) < k) return keep;
    return {s.cands.front().v, s.cands.front().id};
  }
  collectKept(K, x, n, keep, s);
  if (static_cast<int64_t>(s.cands.size()) <= k) return keep;
  std::nth_element(s.cands.begin(), s.cands.begin() + (k - 1), s.cands.end(), better);
  return {s.cands[k - 1].v, s.cands[k - 1].id};
}

void bestSorted(const SamplingKernels& K, const float* x, int64_t n, int64_t k, Cutoff keep, SelectScratch& s) {
  if (k <= kHeapMaxK) {
    heapBest(K, x, n, k, keep, s);
  } else {
    collectKept(K, x, n, keep, s);
    if (static_cast<int64_t>(s.cands.size()) > k) {
      std::nth_element(s.cands.begin(), s.cands.begin() + (k - 1), s.cands.end(), better);
      s.cands.resize(k);
    }
  }
  std::sort(s.cands.begin(), s.cands.end(), better);
}

Cutoff selectNucleus(const SamplingKernels& K, const float* x, int64_t n, const float* w, double target,
                     Cutoff keep, float max, float invT, SelectScratch& s) {
  bestSorted(K, x, n, kNucleusWindow, keep, s);
  double cum = 0;
  for (const Cand& c : s.cands) {
    cum += w[c.id];
    if (cum >= target) return {c.v, c.id};
  }
  if (static_cast<int64_t>(s.cands.size()) < kNucleusWindow) return keep;
  // A flat distribution: sum the kept weights per log-weight bin, find the bin where the running
  // sum (best bins first) reaches the target, then resolve inside that bin in the total order.
  const float scale = invT * kBinsPerNat;
  s.binSums.assign(kBins, 0.0);
  K.binWeights(x, w, n, max, scale, kBins, s.binSums.data());
  cum = 0;
  int64_t bin = 0;
  while (bin < kBins && cum + s.binSums[bin] < target) cum += s.binSums[bin++];
  if (bin == kBins) return keep;
  ensureIds(s, n);
  const int64_t cnt = K.collectBin(x, w, n, max, scale, kBins, bin, s.ids.data());
  s.cands.clear();
  for (int64_t j = 0; j < cnt; j++) s.cands.push_back({x[s.ids[j]], s.ids[j]});
  std::sort(s.cands.begin(), s.cands.end(), better);
  for (const Cand& c : s.cands) {
    cum += w[c.id];
    if (cum >= target) return {c.v, c.id};
  }
  return {s.cands.back().v, s.cands.back().id};
}

}  // namespace pds
