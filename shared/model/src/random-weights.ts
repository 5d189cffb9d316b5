import { TensorCodec } from './tensor-codec.js';
import type { TensorEntry } from './tensor-entry.js';
import { expectedTensors } from './tensor-layout.js';
import type { DType, ModelConfig } from './types.js';

/** FNV-1a of a string mixed with a seed: each tensor gets its own stream, independent of write order. */
function streamSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Fills `out` with uniform values of standard deviation `std` (range ±std·√3) from xorshift32: fast
 * enough for a billion weights, and like a real init in scale, so activations stay finite.
 */
export function fillUniform(out: Float32Array, seed: number, std: number): void {
  let x = seed || 0x9e3779b9;
  const scale = (std * Math.sqrt(3) * 2) / 4294967296;
  const shift = std * Math.sqrt(3);
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) * scale - shift;
  }
}

/** Options of randomTensorEntries. */
export interface RandomWeightsOptions {
  seed: number;
  /** Dtype per tensor (default f32). */
  dtypeOf?: (name: string, shape: number[]) => DType;
  /** Standard deviation of weights (default 0.02; norms are 1, biases std/10). */
  std?: number;
}

/** Random weights for every tensor a config needs, generated one tensor at a time when written. */
export function randomTensorEntries(c: ModelConfig, o: RandomWeightsOptions): TensorEntry[] {
  const std = o.std ?? 0.02;
  return [...expectedTensors(c)].map(([name, shape]) => {
    const dtype = o.dtypeOf?.(name, shape) ?? 'f32';
    const load = () => {
      const values = new Float32Array(TensorCodec.elementCount(shape));
      if (name.endsWith('norm.weight')) values.fill(1);
      else fillUniform(values, streamSeed(o.seed, name), name.endsWith('.bias') ? std / 10 : std);
      return TensorCodec.fromF32(values, dtype);
    };
    return { name, dtype, shape, load };
  });
}
