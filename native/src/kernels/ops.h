// Element-wise and attention kernels of the transformer forward pass. All are multi-threaded
// on the global ThreadPool, block the calling thread, and dispatch on kernelIsa().
#pragma once
#include <cstdint>

#include "kernels/dtype.h"

namespace pds {

/// out[r][:] = x[r][:] / sqrt(mean(x[r]^2) + eps) * weight[:], for rows r < rows. out may == x.
void rmsnorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps, float* out);

enum class RopeStyle : int {
  Interleaved = 0,  // llama2.c / GGUF llama: rotate pairs (2i, 2i+1)
  Neox = 1,         // HF rotate-half: rotate pairs (i, i + rotDim/2)
};

/// In place over x[t][heads][headDim]: rotates the first rotDim dims of every head by
/// positions[t] * theta^(-2i/rotDim), per style. invFreq (rotDim/2 values) overrides theta when
/// non-null (RoPE scaling is folded into it by the caller).
void rope(float* x, const int32_t* positions, int64_t tokens, int64_t heads, int64_t headDim, int64_t rotDim,
          float theta, RopeStyle style, const float* invFreq = nullptr);

/// out[i] = silu(gate[i]) * up[i]; out may == gate.
void swiglu(const float* gate, const float* up, int64_t n, float* out);

/// Row-wise numerically stable softmax in place.
void softmax(float* x, int64_t rows, int64_t cols);

/// Index of the first maximum of each row.
void argmax(const float* x, int64_t rows, int64_t cols, int32_t* out);

/// The paged KV cache: one region, block-major [block][layer][k|v][blockSize][kvHeads][headDim],
/// so a block of all layers is one contiguous range.
struct KvLayout {
  int64_t numBlocks, blockSize, layers, kvHeads, headDim;
  DType dtype;  // F32 or BF16
  int64_t elemBytes() const { return dtype == DType::BF16 ? 2 : 4; }
  int64_t tokenStride() const { return kvHeads * headDim; }                       // elements
  int64_t kvStride() const { return blockSize * tokenStride(); }                  // k -> v
  int64_t layerStride() const { return 2 * kvStride(); }
  int64_t blockStride() const { return layers * layerStride(); }                  // elements
  int64_t blockBytes() const { return blockStride() * elemBytes(); }
};

/// Writes k[t], v[t] ([tokens][kvHeads][headDim]) of one layer into the slots
/// slotMapping[t] = block * blockSize + offset; slot -1 skips the token.
void writeKv(void* pool, const KvLayout& layout, int64_t layer, const float* k, const float* v,
             const int32_t* slotMapping, int64_t tokens);

/// The sequences of one flattened batch. Sequence s owns query rows
/// [queryStart[s], queryStart[s] + queryLen[s]) and has contextLen[s] tokens in the cache
/// (its new tokens included, already written). Its query row i sits at position
/// contextLen - queryLen + i and attends causally to cache positions 0..that position.
/// blockTables is [numSeqs][maxBlocksPerSeq].
struct AttentionBatch {
  int64_t numSeqs;
  const int32_t* queryStart;
  const int32_t* queryLen;
  const int32_t* contextLen;
  const int32_t* blockTables;
  int64_t maxBlocksPerSeq;
};

/// out[t][heads][headDim] = softmax(q k^T * scale) v over the paged cache, with GQA
/// (query head h reads kv head h / (heads / kvHeads)). Covers prefill (many rows per
/// sequence, causal) and decode (one row) in one call.
void pagedAttention(const float* q, const void* pool, const KvLayout& layout, int64_t layer,
                    const AttentionBatch& batch, int64_t heads, float scale, float* out);

}  // namespace pds
