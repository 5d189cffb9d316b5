import { ServiceError } from '@pdserve/protocol';

/** Per-request latency targets in milliseconds. */
export interface SloHints {
  ttftMs?: number;
  tpotMs?: number;
}

/**
 * A request's SLO hints: body `slo: {ttft_ms, tpot_ms}` first, else headers `x-slo-ttft-ms` and
 * `x-slo-tpot-ms` (positive numbers; anything else is a 400 naming the header). Undefined when none.
 */
export function sloHints(
  body: { ttft_ms?: number | null; tpot_ms?: number | null } | null | undefined,
  headers: Headers,
): SloHints | undefined {
  const ttftMs = body?.ttft_ms ?? header(headers, 'x-slo-ttft-ms');
  const tpotMs = body?.tpot_ms ?? header(headers, 'x-slo-tpot-ms');
  if (ttftMs === undefined && tpotMs === undefined) return undefined;
  return { ...(ttftMs === undefined ? {} : { ttftMs }), ...(tpotMs === undefined ? {} : { tpotMs }) };
}

function header(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null) return undefined;
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new ServiceError('invalid_request', `header ${name} must be a positive number of milliseconds`, {
      param: name,
    });
  }
  return value;
}
