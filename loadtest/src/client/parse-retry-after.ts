/**
 * Seconds from a Retry-After header: delta-seconds or an HTTP date (relative to `nowMs`, epoch
 * milliseconds). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - nowMs) / 1000);
}
