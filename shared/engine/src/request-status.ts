/**
 * The lifecycle states of a request, as in vLLM v1. WAITING -> RUNNING -> FINISHED_*, with
 * RUNNING -> PREEMPTED -> RUNNING on recompute, and WAITING_FOR_REMOTE_KVS while a disaggregated
 * decode instance waits for the prompt's KV blocks.
 */
export const RequestStatus = {
  WAITING: 'WAITING',
  WAITING_FOR_REMOTE_KVS: 'WAITING_FOR_REMOTE_KVS',
  RUNNING: 'RUNNING',
  PREEMPTED: 'PREEMPTED',
  FINISHED_STOPPED: 'FINISHED_STOPPED',
  FINISHED_LENGTH_CAPPED: 'FINISHED_LENGTH_CAPPED',
  FINISHED_ABORTED: 'FINISHED_ABORTED',
} as const;

export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];

/** The OpenAI `finish_reason` a finished request reports. */
export type FinishReason = 'stop' | 'length' | 'abort';

export type FinishedStatus =
  | typeof RequestStatus.FINISHED_STOPPED
  | typeof RequestStatus.FINISHED_LENGTH_CAPPED
  | typeof RequestStatus.FINISHED_ABORTED;

const FINISH_REASONS: Record<FinishedStatus, FinishReason> = {
  FINISHED_STOPPED: 'stop',
  FINISHED_LENGTH_CAPPED: 'length',
  FINISHED_ABORTED: 'abort',
};

/** True for the three FINISHED_* states. */
export function isFinishedStatus(status: RequestStatus): status is FinishedStatus {
  return status in FINISH_REASONS;
}

/** The finish_reason of a finished status, or null while the request is still live. */
export function finishReasonOf(status: RequestStatus): FinishReason | null {
  return isFinishedStatus(status) ? FINISH_REASONS[status] : null;
}
