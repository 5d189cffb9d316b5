import { type Request, RequestStatus } from '@pdserve/engine';

/**
 * Prompt (or recompute) tokens the engine has accepted but not computed yet: the prefill work a
 * new request queues behind. Requests waiting for remote KV are excluded (their prompt is computed
 * elsewhere), and so are finished ones; a decoding request contributes nothing (only its newest
 * token is uncomputed). LoadTracker reports it as LoadReport.queuedPromptTokens.
 */
export function queuedPromptTokens(requests: Iterable<Request>): number {
  let total = 0;
  for (const r of requests) {
    if (r.isFinished || r.status === RequestStatus.WAITING_FOR_REMOTE_KVS) continue;
    const sampledPending = r.numOutputTokens > 0 ? 1 : 0;
    total += Math.max(0, r.numTokens - r.numComputedTokens - sampledPending);
  }
  return total;
}
