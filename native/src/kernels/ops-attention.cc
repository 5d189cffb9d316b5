// writeKv and pagedAttention over the block-major paged KV pool. Attention runs flash-style:
// work items (sequence, kv head, tile of up to kRowTile query rows) walk the sequence's KV
// blocks once, folding each block into an online softmax per (row, query head of the group),
// so no score matrix larger than one block is ever materialised.
#include <algorithm>
#include <atomic>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/ops-kernels.h"
#include "kernels/ops.h"
#include "runtime/thread-pool.h"

namespace pds {
namespace {

constexpr int64_t kRowTile = 16;

struct WorkItem {
  int64_t seq, kvHead, row0, rows, cost;
};

void checkLayout(const KvLayout& l, int64_t layer) {
  if (l.numBlocks <= 0 || l.blockSize <= 0 || l.layers <= 0 || l.kvHeads <= 0 || l.headDim <= 0)
    throw std::invalid_argument("KvLayout: every dimension must be positive");
  if (l.dtype != DType::F32 && l.dtype != DType::BF16)
    throw std::invalid_argument("KvLayout: dtype must be F32 or BF16");
  if (layer < 0 || layer >= l.layers)
    throw std::out_of_range("layer " + std::to_string(layer) + " outside [0, " + std::to_string(l.layers) + ")");
}

/// Throws unless every sequence's lengths and the block ids it will read are in range.
void checkBatch(const KvLayout& l, const AttentionBatch& b) {
  for (int64_t s = 0; s < b.numSeqs; s++) {
    int64_t q = b.queryLen[s], ctx = b.contextLen[s];
    std::string at = "sequence " + std::to_string(s) + ": ";
    if (b.queryStart[s] < 0 || q < 0 || ctx < q)
      throw std::out_of_range(at + "needs queryStart >= 0 and 0 <= queryLen <= contextLen");
    if (ctx > b.maxBlocksPerSeq * l.blockSize)
      throw std::out_of_range(at + "contextLen " + std::to_string(ctx) + " exceeds its block table");
    for (int64_t i = 0; i < (ctx + l.blockSize - 1) / l.blockSize; i++) {
      int32_t id = b.blockTables[s * b.maxBlocksPerSeq + i];
      if (id < 0 || id >= l.numBlocks)
        throw std::out_of_range(at + "block id " + std::to_string(id) + " outside [0, " +
                                std::to_string(l.numBlocks) + ")");
    }
  }
}

std::vector<WorkItem> workItems(const KvLayout& l, const AttentionBatch& b) {
  std::vector<WorkItem> items;
  for (int64_t s = 0; s < b.numSeqs; s++) {
    int64_t q = b.queryLen[s], start = b.contextLen[s] - q;
    for (int64_t r0 = 0; r0 < q; r0 += kRowTile) {
      int64_t rows = std::min(kRowTile, q - r0);
      for (int64_t h = 0; h < l.kvHeads; h++) items.push_back({s, h, r0, rows, rows * (start + r0 + rows)});
    }
  }
  // Most expensive first, so the dynamic queue below ends with small items (balance).
  std::sort(items.begin(), items.end(), [](const WorkItem& a, const WorkItem& b) { return a.cost > b.cost; });
  return items;
}

/// Everything one call shares across its work items.
struct AttnCall {
  const float* q;
  const char* pool;
  const KvLayout& l;
  int64_t layer;
  const AttentionBatch& b;
  int64_t heads;
  float scale;
  float* out;
  const OpsKernels& k;
};

/// Per-thread buffers, grown on demand and reused across calls.
struct AttnScratch {
  std::vector<float> q, acc, scores;
  std::vector<AttnState> st;
};

void attendBlock(const AttnCall& c, const WorkItem& w, int64_t block, AttnScratch& sc) {
  const KvLayout& l = c.l;
  const int64_t d = l.headDim, group = c.heads / l.kvHeads, first = c.b.contextLen[w.seq] - c.b.queryLen[w.seq];
  const int64_t id = c.b.blockTables[w.seq * c.b.maxBlocksPerSeq + block], p0 = block * l.blockSize;
  const int64_t base = id * l.blockStride() + c.layer * l.layerStride() + w.kvHead * d;
  for (int64_t r = 0; r < w.rows; r++) {
    int64_t valid = std::min(l.blockSize, first + w.row0 + r - p0 + 1);
    if (valid <= 0) continue;
    for (int64_t g = 0; g < group; g++) {
      int64_t i = r * group + g;
      if (l.dtype == DType::F32) {
        const float* k = reinterpret_cast<const float*>(c.pool) + base;
        c.k.attendF32(&sc.q[i * d], k, k + l.kvStride(), l.tokenStride(), valid, d, sc.scores.data(), &sc.st[i]);
      } else {
        const uint16_t* k = reinterpret_cast<const uint16_t*>(c.pool) + base;
        c.k.attendBf16(&sc.q[i * d], k, k + l.kvStride(), l.tokenStride(), valid, d, sc.scores.data(), &sc.st[i]);
      }
    }
  }
}

void runItem(const AttnCall& c, const WorkItem& w, AttnScratch& sc) {
  const int64_t d = c.l.headDim, group = c.heads / c.l.kvHeads, nq = w.rows * group;
  sc.q.resize(nq * d);
  sc.acc.assign(nq * d, 0.f);
  sc.scores.resize(c.l.blockSize);
  sc.st.resize(nq);
  const int64_t row0 = c.b.queryStart[w.seq] + w.row0, rowStride = c.heads * d;
  for (int64_t r = 0; r < w.rows; r++)
    for (int64_t g = 0; g < group; g++) {
      const float* src = c.q + (row0 + r) * rowStride + (w.kvHead * group + g) * d;
      int64_t i = r * group + g;
      for (int64_t e = 0; e < d; e++) sc.q[i * d + e] = src[e] * c.scale;
      sc.st[i] = {-std::numeric_limits<float>::infinity(), 0.f, &sc.acc[i * d]};
    }
  int64_t lastPos = c.b.contextLen[w.seq] - c.b.queryLen[w.seq] + w.row0 + w.rows - 1;
  for (int64_t block = 0; block <= lastPos / c.l.blockSize; block++) attendBlock(c, w, block, sc);
  for (int64_t r = 0; r < w.rows; r++)
    for (int64_t g = 0; g < group; g++) {
      int64_t i = r * group + g;
      float inv = sc.st[i].l > 0 ? 1.f / sc.st[i].l : 0.f;
      float* dst = c.out + (row0 + r) * rowStride + (w.kvHead * group + g) * d;
      for (int64_t e = 0; e < d; e++) dst[e] = sc.acc[i * d + e] * inv;
    }
}

template <typename T>
void storeRow(T* dst, const float* src, int64_t n) {
  if constexpr (sizeof(T) == 4) {
    std::copy(src, src + n, dst);
  } else {
    for (int64_t i = 0; i < n; i++) dst[i] = f32ToBf16(src[i]);
  }
}

template <typename T>
void writeKvAs(T* pool, const KvLayout& l, int64_t layer, const float* k, const float* v, const int32_t* slots,
               int64_t tokens) {
  const int64_t n = l.tokenStride();
  ThreadPool::global().parallelFor(
      tokens,
      [&](int64_t b, int64_t e, int) {
        for (int64_t t = b; t < e; t++) {
          if (slots[t] < 0) continue;
          int64_t block = slots[t] / l.blockSize, off = slots[t] % l.blockSize;
          T* dst = pool + block * l.blockStride() + layer * l.layerStride() + off * n;
          storeRow(dst, k + t * n, n);
          storeRow(dst + l.kvStride(), v + t * n, n);
        }
      },
      64);
}

}  // namespace

void writeKv(void* pool, const KvLayout& layout, int64_t layer, const float* k, const float* v,
             const int32_t* slotMapping, int64_t tokens) {
  checkLayout(layout, layer);
  const int64_t slots = layout.numBlocks * layout.blockSize;
  for (int64_t t = 0; t < tokens; t++)
    if (slotMapping[t] < -1 || slotMapping[t] >= slots)
      throw std::out_of_range("writeKv: slot " + std::to_string(slotMapping[t]) + " of token " + std::to_string(t) +
                              " outside [-1, " + std::to_string(slots) + ")");
  if (layout.dtype == DType::F32)
    writeKvAs(static_cast<float*>(pool), layout, layer, k, v, slotMapping, tokens);
  else
    writeKvAs(static_cast<uint16_t*>(pool), layout, layer, k, v, slotMapping, tokens);
}

void pagedAttention(const float* q, const void* pool, const KvLayout& layout, int64_t layer,
                    const AttentionBatch& batch, int64_t heads, float scale, float* out) {
  checkLayout(layout, layer);
  if (heads <= 0 || heads % layout.kvHeads != 0)
    throw std::invalid_argument("pagedAttention: heads " + std::to_string(heads) + " is not a multiple of kvHeads " +
                                std::to_string(layout.kvHeads));
  checkBatch(layout, batch);
  const std::vector<WorkItem> items = workItems(layout, batch);
  const AttnCall call{q, static_cast<const char*>(pool), layout, layer, batch, heads, scale, out, opsKernels()};
  std::atomic<int64_t> next{0};
  ThreadPool& tp = ThreadPool::global();
  tp.parallelFor(
      std::min<int64_t>(tp.size(), static_cast<int64_t>(items.size())),
      [&](int64_t, int64_t, int) {
        thread_local AttnScratch scratch;
        for (int64_t i = next++; i < static_cast<int64_t>(items.size()); i = next++) runItem(call, items[i], scratch);
      },
      1);
}

}  // namespace pds
