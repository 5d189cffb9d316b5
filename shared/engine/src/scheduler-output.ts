import type { Request } from './request.js';

/** One request in a step's batch. */
export interface ScheduledRequest {
  request: Request;
  /** Tokens already in the cache before this step: the chunk starts at this position. */
  numComputedTokens: number;
  numScheduledTokens: number;
  /** The request's block table after this step's allocation (a snapshot). */
  blockIds: readonly number[];
  /** Scheduled for the first time, or again after preemption (runners that keep per-request state reset it). */
  isNew: boolean;
}

/**
 * The Scheduler's decision for one step, turned into a ModelInput by the ModelInputBuilder and
 * consumed again by the update after the step. Requests are listed running first, then new ones.
 */
export interface SchedulerOutput {
  scheduledRequests: ScheduledRequest[];
  totalNumScheduledTokens: number;
  preemptedRequestIds: string[];
  /** Requests finished or aborted since the previous step (runners drop their state). */
  finishedRequestIds: string[];
}
