// Selection over one row of logits for the sampler: the k best tokens and top-p's nucleus, in the
// total order (value descending, id ascending) the TypeScript Sampler uses, so both keep the same
// set. A kept set is always described by its worst member (a Cutoff), never materialised.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/sampling-kernels.h"

namespace pds {

/// A token and its value, ordered by `better`.
struct Cand {
  float v;
  int32_t id;
};

/// The total order: higher value first, then lower id.
inline bool better(const Cand& a, const Cand& b) { return a.v > b.v || (a.v == b.v && a.id < b.id); }

/// The kept tokens: x[i] > cut, or x[i] == cut and i <= cutId (so Cutoff{v, id} keeps exactly the
/// tokens ranking at or above (v, id)).
struct Cutoff {
  float cut;
  int64_t cutId;
  bool keeps(float v, int64_t id) const { return v > cut || (v == cut && id <= cutId); }
};

/// Scratch buffers of one thread, sized for a vocabulary.
struct SelectScratch {
  std::vector<int32_t> ids;
  std::vector<Cand> cands;
  std::vector<double> binSums;
};

/// The kept tokens of `keep` reduced to the k best; `keep` itself when it holds k or fewer.
Cutoff selectTopK(const SamplingKernels& K, const float* x, int64_t n, int64_t k, Cutoff keep, SelectScratch& s);

/// Top-p's nucleus of the kept tokens: the fewest best tokens whose weights (w, by id, 0 for tokens
/// not kept; w = exp((x - max) * invT)) sum to at least `target`. Tries the best 64 first, else
/// sums weights per bin of log-weight (a monotone bucketing of the total order) and sorts only
/// the bin where the sum reaches the target.
Cutoff selectNucleus(const SamplingKernels& K, const float* x, int64_t n, const float* w, double target,
                     Cutoff keep, float max, float invT, SelectScratch& s);

/// The k best kept tokens, best first, into s.cands (fewer when fewer are kept).
void bestSorted(const SamplingKernels& K, const float* x, int64_t n, int64_t k, Cutoff keep, SelectScratch& s);

}  // namespace pds
