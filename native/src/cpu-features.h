// CPU feature detection (cpuid + xgetbv), read once; kernels are chosen from it at load.
#pragma once
#include <string>

namespace pds {

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false, avx512bf16 = false;
  bool amxTile = false, amxBf16 = false, amxInt8 = false;
  bool amxUsable = false;  // the OS granted AMX tile state to this process
};

const CpuFeatures& cpuFeatures();

/// The instruction set the hand-written kernels use: "avx512", "avx2" or "portable".
/// PDSERVE_ISA forces a lower one (for tests and comparisons).
std::string kernelIsa();

}  // namespace pds
