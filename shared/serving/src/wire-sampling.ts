import type { SamplingParamsInit } from '@pdserve/engine';
import type { WireSamplingParams } from '@pdserve/protocol';

function logitBiasToWire(bias: SamplingParamsInit['logitBias']): Record<string, number> | null | undefined {
  if (bias === undefined || bias === null) return bias;
  if (bias instanceof Map) return Object.fromEntries([...bias].map(([id, b]) => [String(id), b]));
  return { ...(bias as Readonly<Record<string, number>>) };
}

/**
 * Sampling parameters between the engine's SamplingParamsInit and the wire form a SubmitRequest
 * carries. The gateway calls toWire when it submits; engine instances call fromWire before
 * SamplingParams.create checks ranges. Both drop undefined fields, so defaults stay the engine's.
 */
export const wireSampling = {
  toWire(init: SamplingParamsInit): WireSamplingParams {
    const wire: WireSamplingParams = {
      ...init,
      stop:
        init.stop === undefined || init.stop === null || typeof init.stop === 'string'
          ? init.stop
          : [...init.stop],
      stopTokenIds: init.stopTokenIds == null ? init.stopTokenIds : [...init.stopTokenIds],
      allowedTokenIds: init.allowedTokenIds == null ? init.allowedTokenIds : [...init.allowedTokenIds],
      badWords: init.badWords == null ? init.badWords : init.badWords.map((w) => [...w]),
      logitBias: logitBiasToWire(init.logitBias),
    };
    return Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== undefined)) as WireSamplingParams;
  },

  fromWire(wire: WireSamplingParams): SamplingParamsInit {
    return Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== undefined)) as SamplingParamsInit;
  },
} as const;
