/** Milliseconds since the Unix epoch with sub-millisecond precision (monotonic within a process). */
export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}
