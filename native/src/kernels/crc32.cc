#include "kernels/crc32.h"

#include <immintrin.h>

#include <array>

namespace pds {
namespace {

constexpr uint32_t kPoly = 0xEDB88320u;  // reflected 0x04C11DB7

const std::array<uint32_t, 256>& table() {
  static const std::array<uint32_t, 256> t = [] {
    std::array<uint32_t, 256> r{};
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      r[i] = c;
    }
    return r;
  }();
  return t;
}

/// Bytewise update of the raw (uninverted) state.
uint32_t updateBytes(uint32_t state, const uint8_t* p, size_t n) {
  const auto& t = table();
  for (size_t i = 0; i < n; i++) state = t[(state ^ p[i]) & 0xff] ^ (state >> 8);
  return state;
}

// Folding constants for the reflected polynomial: x^(k) mod P for the fold distances (512 and
// 128 bits, +-32), the 64 -> 32 bit fold, and the Barrett pair (P and floor(x^64 / P)).
constexpr uint64_t kFold4Lo = 0x154442bd4, kFold4Hi = 0x1c6e41596;
constexpr uint64_t kFold1Lo = 0x1751997d0, kFold1Hi = 0x0ccaa009e;
constexpr uint64_t kFold64 = 0x163cd6124;
constexpr uint64_t kPolyFull = 0x1db710641, kMu = 0x1f7011641;

__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i x, __m128i k, __m128i next) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

/// Raw state after n bytes (n a multiple of 16, at least 64), folding 64 bytes per step.
__attribute__((target("pclmul,sse4.1"))) uint32_t updateClmul(uint32_t state, const uint8_t* p, size_t n) {
  auto load = [](const uint8_t* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
  __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(state)));
  __m128i x2 = load(p + 16), x3 = load(p + 32), x4 = load(p + 48);
  p += 64;
  n -= 64;
  const __m128i k4 = _mm_set_epi64x(static_cast<int64_t>(kFold4Hi), static_cast<int64_t>(kFold4Lo));
  for (; n >= 64; p += 64, n -= 64) {
    x1 = fold(x1, k4, load(p));
    x2 = fold(x2, k4, load(p + 16));
    x3 = fold(x3, k4, load(p + 32));
    x4 = fold(x4, k4, load(p + 48));
  }
  const __m128i k1 = _mm_set_epi64x(static_cast<int64_t>(kFold1Hi), static_cast<int64_t>(kFold1Lo));
  x1 = fold(x1, k1, x2);
  x1 = fold(x1, k1, x3);
  x1 = fold(x1, k1, x4);
  for (; n >= 16; p += 16, n -= 16) x1 = fold(x1, k1, load(p));
  // 128 -> 64 bits (with 32 zero bits appended), then 64 -> 32.
  __m128i t = _mm_clmulepi64_si128(x1, k1, 0x10);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), t);
  const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
  __m128i hi = _mm_srli_si128(x1, 4);
  x1 = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), _mm_cvtsi64_si128(static_cast<int64_t>(kFold64)), 0x00);
  x1 = _mm_xor_si128(x1, hi);
  // Barrett reduction 64 -> 32.
  const __m128i pu = _mm_set_epi64x(static_cast<int64_t>(kMu), static_cast<int64_t>(kPolyFull));
  __m128i r = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), pu, 0x10);
  r = _mm_clmulepi64_si128(_mm_and_si128(r, mask32), pu, 0x00);
  r = _mm_xor_si128(r, x1);
  return static_cast<uint32_t>(_mm_extract_epi32(r, 1));
}

bool hasClmul() {
  static const bool ok = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return ok;
}

}  // namespace

bool crc32Accelerated() { return hasClmul(); }

uint32_t crc32(uint32_t seed, const uint8_t* data, size_t n) {
  uint32_t state = ~seed;
  if (hasClmul() && n >= 64) {
    size_t body = n & ~size_t{15};
    state = updateClmul(state, data, body);
    data += body;
    n -= body;
  }
  return ~updateBytes(state, data, n);
}

}  // namespace pds
