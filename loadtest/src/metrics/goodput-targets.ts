import { BenchConfigError } from '../bench-config-error.js';
import type { RequestResult } from './request-result.js';

/** Latency targets in milliseconds; a request is good when it meets every one given. */
export interface GoodputTargets {
  ttftMs?: number;
  tpotMs?: number;
  e2elMs?: number;
}

const KEYS: Record<string, keyof GoodputTargets> = { ttft: 'ttftMs', tpot: 'tpotMs', e2el: 'e2elMs' };

/** Reads `ttft:MS tpot:MS e2el:MS` items (any subset, also comma-separated); throws BenchConfigError. */
export function parseGoodputTargets(items: readonly string[]): GoodputTargets {
  const targets: GoodputTargets = {};
  for (const item of items.flatMap((s) => s.split(',')).filter((s) => s.trim() !== '')) {
    const [name, value, ...rest] = item.trim().split(':');
    const key = KEYS[name];
    const ms = Number(value);
    if (!key || rest.length > 0 || value === undefined || !(ms > 0)) {
      throw new BenchConfigError(`--goodput takes ttft:MS, tpot:MS or e2el:MS with MS > 0, got '${item}'`);
    }
    targets[key] = ms;
  }
  return targets;
}

/**
 * Whether a completed request meets every target. A one-token output has no TPOT and meets any
 * TPOT target. With no targets at all, every completed request is good.
 */
export function meetsTargets(r: RequestResult, t: GoodputTargets): boolean {
  if (r.outcome !== 'ok' || r.ttftMs === null || r.e2eMs === null) return false;
  if (t.ttftMs !== undefined && r.ttftMs > t.ttftMs) return false;
  if (t.tpotMs !== undefined && r.tpotMs !== null && r.tpotMs > t.tpotMs) return false;
  if (t.e2elMs !== undefined && r.e2eMs > t.e2elMs) return false;
  return true;
}
