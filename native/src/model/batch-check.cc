#include "model/batch-check.h"

#include <stdexcept>
#include <string>

namespace pds {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

void checkSequence(const KvLayout& l, const AttentionBatch& b, int64_t s, int64_t tokens) {
  const std::string at = "sequence " + str(s) + ": ";
  const int64_t start = b.queryStart[s], q = b.queryLen[s], ctx = b.contextLen[s];
  if (q < 0 || ctx < q) throw std::out_of_range(at + "needs 0 <= queryLen (" + str(q) + ") <= contextLen (" + str(ctx) + ")");
  if (start < 0 || start + q > tokens)
    throw std::out_of_range(at + "rows [" + str(start) + ", " + str(start + q) + ") outside [0, " + str(tokens) + ")");
  if (ctx > b.maxBlocksPerSeq * l.blockSize)
    throw std::out_of_range(at + "contextLen " + str(ctx) + " exceeds maxBlocksPerSeq * blockSize = " +
                            str(b.maxBlocksPerSeq * l.blockSize));
  for (int64_t i = 0; i < (ctx + l.blockSize - 1) / l.blockSize; i++) {
    int64_t id = b.blockTables[s * b.maxBlocksPerSeq + i];
    if (id < 0 || id >= l.numBlocks)
      throw std::out_of_range(at + "blockTables[" + str(s) + "][" + str(i) + "] = " + str(id) + " outside [0, " +
                              str(l.numBlocks) + ")");
  }
}

void checkRows(const ModelConfig& c, const KvLayout& l, const ForwardBatch& f, int64_t s) {
  const AttentionBatch& b = f.attn;
  const int64_t q = b.queryLen[s], first = b.contextLen[s] - q;
  for (int64_t i = 0; i < q; i++) {
    const int64_t row = b.queryStart[s] + i, pos = first + i;
    const std::string at = "row " + str(row) + " (sequence " + str(s) + "): ";
    if (f.tokenIds[row] < 0 || f.tokenIds[row] >= c.vocab)
      throw std::out_of_range(at + "token id " + str(f.tokenIds[row]) + " outside [0, " + str(c.vocab) + ")");
    if (f.positions[row] != pos)
      throw std::out_of_range(at + "position " + str(f.positions[row]) + " but contextLen - queryLen + " + str(i) +
                              " = " + str(pos));
    const int64_t slot = b.blockTables[s * b.maxBlocksPerSeq + pos / l.blockSize] * l.blockSize + pos % l.blockSize;
    if (f.slotMapping[row] != -1 && f.slotMapping[row] != slot)
      throw std::out_of_range(at + "slotMapping " + str(f.slotMapping[row]) + " but the block table puts position " +
                              str(pos) + " in slot " + str(slot) + " (or pass -1)");
  }
}

}  // namespace

void checkAttentionBatch(const KvLayout& layout, const AttentionBatch& batch, int64_t tokens) {
  if (batch.numSeqs < 0 || batch.maxBlocksPerSeq < 1)
    throw std::out_of_range("numSeqs must be >= 0 and maxBlocksPerSeq >= 1");
  for (int64_t s = 0; s < batch.numSeqs; s++) checkSequence(layout, batch, s, tokens);
}

void checkKvLayoutFor(const ModelConfig& c, const KvLayout& l) {
  if (l.layers != c.layers || l.kvHeads != c.kvHeads || l.headDim != c.headDim)
    throw std::invalid_argument("KV pool layout (layers " + str(l.layers) + ", kvHeads " + str(l.kvHeads) +
                                ", headDim " + str(l.headDim) + ") does not match the model (" + str(c.layers) +
                                ", " + str(c.kvHeads) + ", " + str(c.headDim) + ")");
}

void checkForwardBatch(const ModelConfig& c, const KvLayout& l, const ForwardBatch& f) {
  if (f.tokens < 1) throw std::out_of_range("a batch needs at least one token");
  const AttentionBatch& b = f.attn;
  checkAttentionBatch(l, b, f.tokens);
  int64_t next = 0;
  for (int64_t s = 0; s < b.numSeqs; s++) {
    if (b.queryStart[s] != next)
      throw std::out_of_range("queryStart[" + str(s) + "] = " + str(b.queryStart[s]) + ", expected " + str(next) +
                              " (sequences own consecutive rows in order)");
    if (b.contextLen[s] > c.maxSeqLen)
      throw std::out_of_range("sequence " + str(s) + ": contextLen " + str(b.contextLen[s]) + " exceeds maxSeqLen " +
                              str(c.maxSeqLen));
    checkRows(c, l, f, s);
    next += b.queryLen[s];
  }
  if (next != f.tokens)
    throw std::out_of_range("the sequences' queryLen sum to " + str(next) + ", but the batch has " + str(f.tokens) +
                            " tokens");
  for (int64_t i = 0; i < f.numLogits; i++)
    if (f.logitsRows[i] < 0 || f.logitsRows[i] >= f.tokens)
      throw std::out_of_range("logitsRows[" + str(i) + "] = " + str(f.logitsRows[i]) + " outside [0, " +
                              str(f.tokens) + ")");
}

}  // namespace pds
