import type { StreamRecord } from '../client/stream-record.js';
import type { BenchRequest } from '../datasets/bench-request.js';
import { chunkTokenCounts } from './chunk-token-counts.js';
import type { RequestResult } from './request-result.js';

/**
 * Derives TTFT, TPOT, ITL and E2E of one request from what the client saw. TTFT is measured to
 * the first output-bearing read; a later chunk of k tokens after a gap g adds k ITLs of g / k,
 * and extra tokens of the first chunk add ITLs of 0, so there are (output tokens - 1) ITLs.
 */
export function requestMetrics(
  index: number,
  req: BenchRequest,
  scheduledMs: number,
  rec: StreamRecord,
): RequestResult {
  const fromUsage = rec.usage !== null && rec.usage.completionTokens > 0;
  const events = rec.chunks.reduce((s, c) => s + c.events, 0);
  const outputTokens = fromUsage ? (rec.usage?.completionTokens ?? 0) : events;
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
    outputTokensSource: fromUsage ? 'usage' : 'events',
    scheduledMs,
    sentMs: rec.sentMs,
    firstTokenMs: rec.chunks[0]?.atMs ?? null,
    endMs: rec.endMs,
    ttftMs: null,
    e2eMs: null,
    tpotMs: null,
    itlsMs: [],
    chunks: [],
  };
  if (rec.outcome !== 'ok' || rec.chunks.length === 0) return base;
  const ttftMs = rec.chunks[0].atMs - rec.sentMs;
  const e2eMs = rec.endMs - rec.sentMs;
  const tpotMs = outputTokens > 1 ? (e2eMs - ttftMs) / (outputTokens - 1) : null;
  const counts = chunkTokenCounts(rec.chunks, outputTokens);
  const chunks = rec.chunks.map((c, i) => ({ atMs: c.atMs, tokens: counts[i] }));
  return { ...base, ttftMs, e2eMs, tpotMs, itlsMs: interTokenLatencies(chunks), chunks };
}

function interTokenLatencies(chunks: ReadonlyArray<{ atMs: number; tokens: number }>): number[] {
  // Tokens that came with the first one follow it without a gap.
  const itls: number[] = new Array(chunks[0].tokens - 1).fill(0);
  for (let i = 1; i < chunks.length; i++) {
    const gap = chunks[i].atMs - chunks[i - 1].atMs;
    for (let k = 0; k < chunks[i].tokens; k++) itls.push(gap / chunks[i].tokens);
  }
  return itls;
}
