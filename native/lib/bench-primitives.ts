import { loadAddon } from './addon.js';
import { Linear, type NativeLinear } from './linear.js';

interface BenchAddon {
  measureFmaPeak(seconds: number): Promise<number>;
  measureReadBandwidth(bytes: number, seconds: number): Promise<number>;
  benchLinear(linear: NativeLinear, m: number, iters: number): Promise<number>;
}

/**
 * GFLOP/s of independent FMA chains run for `seconds` on every native pool thread with the best
 * ISA in use (AVX-512 zmm, AVX2 ymm, or portable code): the machine's FP32 FMA peak.
 */
export function measureFmaPeak(seconds: number): Promise<number> {
  return loadAddon<BenchAddon>().measureFmaPeak(seconds);
}

/**
 * Streaming read bandwidth in GB/s: every pool thread reads its slice of a `bytes` buffer;
 * passes repeat for `seconds` (at least two) and the median pass is reported. Use a buffer
 * well beyond the last-level cache (1 GiB) for DRAM bandwidth.
 */
export function measureReadBandwidth(bytes: number, seconds: number): Promise<number> {
  return loadAddon<BenchAddon>().measureReadBandwidth(bytes, seconds);
}

/**
 * Median seconds of one `linear.forward` with m rows of random x, over `iters` runs timed in
 * native code (after one untimed warm-up that also builds any cached GEMM primitive).
 */
export function benchLinear(linear: Linear, m: number, iters: number): Promise<number> {
  if (!(linear instanceof Linear)) throw new TypeError('benchLinear needs a Linear');
  return loadAddon<BenchAddon>().benchLinear(linear.native, m, iters);
}
