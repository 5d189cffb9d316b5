// Range checks of attention and forward batches, run on the JS thread before any kernel so a
// bad batch becomes a RangeError instead of an out-of-bounds read or write.
#pragma once
#include <cstdint>

#include "kernels/ops.h"
#include "model/transformer.h"

namespace pds {

/// Throws std::out_of_range unless every sequence's rows lie in [0, tokens), 0 <= queryLen <=
/// contextLen <= maxBlocksPerSeq * blockSize, and every block id it reads is < numBlocks.
void checkAttentionBatch(const KvLayout& layout, const AttentionBatch& batch, int64_t tokens);

/// Throws std::invalid_argument unless the pool has the model's layers, kvHeads and headDim.
void checkKvLayoutFor(const ModelConfig& config, const KvLayout& layout);

/// checkAttentionBatch plus: sequences partition the rows in order (queryStart[0] = 0,
/// queryStart[s + 1] = queryStart[s] + queryLen[s], sum = tokens), token ids < vocab,
/// contextLen <= maxSeqLen, positions[row] = contextLen - queryLen + i, slotMapping[row] is -1
/// or that position's slot in the block table, logits rows in [0, tokens).
void checkForwardBatch(const ModelConfig& config, const KvLayout& layout, const ForwardBatch& batch);

}  // namespace pds
