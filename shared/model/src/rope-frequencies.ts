import type { ModelConfig } from './types.js';

/**
 * The inverse RoPE frequencies of one head (rotDim / 2 values) with the model's RoPE scaling
 * folded in, or undefined when plain `theta^(-2i/rotDim)` applies (the native runner computes
 * that itself). Called once when the runner is built.
 */
export function ropeInverseFrequencies(
  config: ModelConfig,
  rotDim = config.headDim,
): Float32Array | undefined {
  const scaling = config.ropeScaling;
  if (!scaling) return undefined;
  const half = rotDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const base = config.ropeTheta ** (-(2 * i) / rotDim);
    out[i] = scaling.type === 'linear' ? base / scaling.factor : llama3Frequency(base, scaling);
  }
  return out;
}

/** Llama 3's band-wise scaling: long wavelengths divided by factor, short kept, smooth between. */
function llama3Frequency(freq: number, s: NonNullable<ModelConfig['ropeScaling']>): number {
  const low = s.lowFreqFactor ?? 1;
  const high = s.highFreqFactor ?? 4;
  const original = s.originalMaxPositionEmbeddings ?? 8192;
  const wavelength = (2 * Math.PI) / freq;
  if (wavelength < original / high) return freq;
  if (wavelength > original / low) return freq / s.factor;
  const smooth = (original / wavelength - low) / (high - low);
  return (1 - smooth) * (freq / s.factor) + smooth * freq;
}
