// CRC-32 (the IEEE / zlib polynomial, reflected): the KV connector's per-block checksum, equal to
// zlib's crc32 (node:zlib) for the same bytes and seed, several times faster with PCLMULQDQ.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pds {

/// crc32(seed, bytes) as zlib computes it (seed 0 for a fresh checksum).
uint32_t crc32(uint32_t seed, const uint8_t* data, size_t n);

/// True when crc32 folds with carry-less multiplication (else it runs a table, bytewise).
bool crc32Accelerated();

}  // namespace pds
