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
constexpr int64_t kDecodeRows = 4;  // tiles this small group kv heads per work item

/// Query rows [row0, row0 + rows) of sequence seq against kv heads [kv0, kv0 + kvN).
struct WorkItem {
  int64_t seq, kv0, kvN, row0, rows, cost;
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

/// Prefill tiles get one kv head each (their K/V block stays in L1 across the tile's rows).
/// Decode-sized tiles take a contiguous range of kv heads, so each block is read as a few
/// long runs instead of one short run per head, split only as far as the threads need.
std::vector<WorkItem> workItems(const KvLayout& l, const AttentionBatch& b, int64_t threads) {
  int64_t tiles = 0;
  for (int64_t s = 0; s < b.numSeqs; s++) tiles += (b.queryLen[s] + kRowTile - 1) / kRowTile;
  const int64_t split = std::min(l.kvHeads, std::max<int64_t>(1, (4 * threads + tiles - 1) / std::max<int64_t>(1, tiles)));
  const int64_t decodeChunk = (l.kvHeads + split - 1) / split;
  std::vector<WorkItem> items;
  for (int64_t s = 0; s < b.numSeqs; s++) {
    int64_t q = b.queryLen[s], start = b.contextLen[s] - q;
    for (int64_t r0 = 0; r0 < q; r0 += kRowTile) {
      int64_t rows = std::min(kRowTile, q - r0), chunk = rows <= kDecodeRows ? decodeChunk : 1;
      for (int64_t h = 0; h < l.kvHeads; h += chunk) {
        int64_t n = std::min(chunk, l.kvHeads - h);
        items.push_back({s, h, n, r0, rows, n * rows * (start + r0 + rows)});
      }
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

/// Element offset of kv head kv0's K row 0 in block `block` of sequence w.seq.
int64_t blockBase(const AttnCall& c, const WorkItem& w, int64_t block) {
  const int64_t id = c.b.blockTables[w.seq * c.b.maxBlocksPerSeq + block];
  return id * c.l.blockStride() + c.layer * c.l.layerStride() + w.kv0 * c.l.headDim;
}

/// Asks for the item's K and V rows of a block ahead of use (they are short strided runs,
/// which the hardware prefetchers follow poorly).
void prefetchBlock(const AttnCall& c, const WorkItem& w, int64_t block) {
  const KvLayout& l = c.l;
  const char* base = c.pool + blockBase(c, w, block) * l.elemBytes();
  const int64_t bytes = w.kvN * l.headDim * l.elemBytes(), stride = l.tokenStride() * l.elemBytes();
  for (int64_t j = 0; j < l.blockSize; j++)
    for (int64_t o = 0; o < bytes; o += 64) {
      __builtin_prefetch(base + j * stride + o);
      __builtin_prefetch(base + l.kvStride() * l.elemBytes() + j * stride + o);
    }
}

void attendBlock(const AttnCall& c, const WorkItem& w, int64_t block, AttnScratch& sc) {
  const KvLayout& l = c.l;
  const int64_t d = l.headDim, group = c.heads / l.kvHeads, first = c.b.contextLen[w.seq] - c.b.queryLen[w.seq];
  const int64_t base = blockBase(c, w, block), p0 = block * l.blockSize;
  for (int64_t r = 0; r < w.rows; r++) {
    int64_t valid = std::min(l.blockSize, first + w.row0 + r - p0 + 1);
    if (valid <= 0) continue;
    for (int64_t h = 0; h < w.kvN; h++) {
      const int64_t i = (r * w.kvN + h) * group, kOff = base + h * d;
      if (l.dtype == DType::F32) {
        const float* k = reinterpret_cast<const float*>(c.pool) + kOff;
        c.k.attendF32(&sc.q[i * d], group, k, k + l.kvStride(), l.tokenStride(), valid, d, sc.scores.data(),
                      &sc.st[i]);
      } else {
        const uint16_t* k = reinterpret_cast<const uint16_t*>(c.pool) + kOff;
        c.k.attendBf16(&sc.q[i * d], group, k, k + l.kvStride(), l.tokenStride(), valid, d, sc.scores.data(),
                       &sc.st[i]);
      }
    }
  }
}

void runItem(const AttnCall& c, const WorkItem& w, AttnScratch& sc) {
  const int64_t d = c.l.headDim, group = c.heads / c.l.kvHeads, perRow = w.kvN * group * d;
  sc.q.resize(w.rows * perRow);
  sc.acc.assign(w.rows * perRow, 0.f);
  sc.scores.resize(group * kScoreStride(c.l.blockSize));
  sc.st.resize(w.rows * w.kvN * group);
  const int64_t row0 = c.b.queryStart[w.seq] + w.row0, rowStride = c.heads * d, col0 = w.kv0 * group * d;
  for (int64_t r = 0; r < w.rows; r++) {
    const float* src = c.q + (row0 + r) * rowStride + col0;
    for (int64_t e = 0; e < perRow; e++) sc.q[r * perRow + e] = src[e] * c.scale;
  }
  for (size_t i = 0; i < sc.st.size(); i++) sc.st[i] = {-std::numeric_limits<float>::infinity(), 0.f, &sc.acc[i * d]};
  const int64_t blocks = (c.b.contextLen[w.seq] - c.b.queryLen[w.seq] + w.row0 + w.rows - 1) / c.l.blockSize + 1;
  for (int64_t block = 0; block < blocks; block++) {
    if (block + 1 < blocks) prefetchBlock(c, w, block + 1);
    attendBlock(c, w, block, sc);
  }
  for (int64_t r = 0; r < w.rows; r++) {
    float* dst = c.out + (row0 + r) * rowStride + col0;
    for (int64_t e = 0; e < perRow; e++) {
      const AttnState& st = sc.st[(r * perRow + e) / d];
      dst[e] = st.l > 0 ? sc.acc[r * perRow + e] / st.l : 0.f;
    }
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
  ThreadPool& tp = ThreadPool::global();
  const std::vector<WorkItem> items = workItems(layout, batch, tp.size());
  const AttnCall call{q, static_cast<const char*>(pool), layout, layer, batch, heads, scale, out, opsKernels()};
  std::atomic<int64_t> next{0};
  tp.parallelFor(
      std::min<int64_t>(tp.size(), static_cast<int64_t>(items.size())),
      [&](int64_t, int64_t, int) {
        thread_local AttnScratch scratch;
        for (int64_t i = next++; i < static_cast<int64_t>(items.size()); i = next++) runItem(call, items[i], scratch);
      },
      1);
}

}  // namespace pds
