import type { StreamRecord } from '../client/stream-record.js';
import type { BenchRequest } from '../datasets/bench-request.js';
import { chunkTokenCounts } from './chunk-token-counts.js';
import type { RequestResult } from './request-result.js';

/**
 * Derives TTFT, TPOT, ITL and E2E of one request from what the client saw. TTFT is measured to
 * the first output-bearing event; a chunk of k tokens after a gap g adds k ITLs of g / k.
 */
export function requestMetrics(
  index: number,
  req: BenchRequest,
  scheduledMs: number,
  rec: StreamRecord,
): RequestResult {
  const fromUsage = rec.usage !== null && rec.usage.completionTokens > 0;
  const outputTokens = fromUsage ? (rec.usage?.completionTokens ?? 0) : rec.chunks.length;
  const base: RequestResult = {
    index,
    tag: req.tag,
    outcome: rec.outcome,
    ...(rec.error === undefined ? {} : { error: rec.error }),
    ...(rec.httpStatus === undefined ? {} : { httpStatus: rec.httpStatus }),
    ...(rec.retryAfterS === undefined ? {} : { retryAfterS: rec.retryAfterS }),
    promptLen: rec.usage?.promptTokens ?? req.promptLen,
    requestedOutputLen: req.outputLen,
    outputTokens,
    outputTokensSource: fromUsage ? 'usage' : 'chunks',
    scheduledMs,
    sentMs: rec.sentMs,
    firstTokenMs: rec.chunks[0]?.atMs ?? null,
    endMs: rec.endMs,
    ttftMs: null,
    e2eMs: null,
    tpotMs: null,
    itlsMs: [],
  };
  if (rec.outcome !== 'ok' || rec.chunks.length === 0) return base;
  const ttftMs = rec.chunks[0].atMs - rec.sentMs;
  const e2eMs = rec.endMs - rec.sentMs;
  const tpotMs = outputTokens > 1 ? (e2eMs - ttftMs) / (outputTokens - 1) : null;
  return { ...base, ttftMs, e2eMs, tpotMs, itlsMs: interTokenLatencies(rec, outputTokens) };
}

function interTokenLatencies(rec: StreamRecord, outputTokens: number): number[] {
  const counts = chunkTokenCounts(rec.chunks, outputTokens);
  const itls: number[] = [];
  for (let i = 1; i < rec.chunks.length; i++) {
    const gap = rec.chunks[i].atMs - rec.chunks[i - 1].atMs;
    for (let k = 0; k < counts[i]; k++) itls.push(gap / counts[i]);
  }
  return itls;
}
