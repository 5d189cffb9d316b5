import type { Request } from './request.js';
import { RequestStatus } from './request-status.js';

/**
 * Token-level stop check after a token was appended (called by the Scheduler's update): EOS and
 * stop_token_ids once min_tokens is reached, then max_tokens and maxModelLen. Sets the request's
 * status (and stopReason for a stop id); returns whether it finished. An EOS or stop id sampled
 * exactly at max_tokens reports 'stop', the reason that actually ended it. Stop strings are checked
 * later, on detokenized text, by the output processor.
 */
export function checkStop(request: Request, maxModelLen: number): boolean {
  const params = request.samplingParams;
  const last = request.outputTokenIds[request.outputTokenIds.length - 1];
  if (request.numOutputTokens >= params.minTokens) {
    if (request.eosTokenIds.includes(last)) {
      request.status = RequestStatus.FINISHED_STOPPED;
      return true;
    }
    if (params.stopTokenIds.includes(last)) {
      request.status = RequestStatus.FINISHED_STOPPED;
      request.stopReason = last;
      return true;
    }
  }
  if (request.numOutputTokens >= request.maxTokens || request.numTokens >= maxModelLen) {
    request.status = RequestStatus.FINISHED_LENGTH_CAPPED;
    return true;
  }
  return false;
}
