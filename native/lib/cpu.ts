import { loadAddon } from './addon.js';

/** What the CPU offers and what the kernels chose, read once at load. */
export interface CpuInfo {
  /** Hand-written kernels in use: 'avx512', 'avx2' or 'portable' (PDSERVE_ISA may force a lower one). */
  isa: 'avx512' | 'avx2' | 'portable';
  threads: number;
  features: {
    avx2: boolean;
    fma: boolean;
    f16c: boolean;
    avx512f: boolean;
    avx512bw: boolean;
    avx512vl: boolean;
    avx512vnni: boolean;
    avx512bf16: boolean;
    amxTile: boolean;
    amxBf16: boolean;
    amxInt8: boolean;
    amxUsable: boolean;
  };
}

interface CpuAddon {
  cpuInfo(): CpuInfo;
}

export function cpuInfo(): CpuInfo {
  return loadAddon<CpuAddon>().cpuInfo();
}
