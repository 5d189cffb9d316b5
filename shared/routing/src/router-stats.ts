/** Counters of one router's decisions since it started (plain numbers; /metrics maps them). */
export interface RouterStatsSnapshot {
  /** Requests placed (answered with a decision). */
  routed: number;
  colocated: number;
  disaggregated: number;
  /** Requests refused for load: 'overloaded' at once, or anything after waiting in the queue. */
  rejected: number;
  /** Requests refused with 'unavailable' (no instance could serve them). */
  unavailable: number;
  /** Requests held in the admission queue at some point, and how they ended. */
  queued: number;
  admittedAfterQueue: number;
  rejectedAfterQueue: number;
  /** Sum of the time held requests waited (ms). */
  queueWaitMsTotal: number;
  /** Requests held now. */
  queuedNow: number;
  /** Sums of the predictions of placed requests (ms), for their means. */
  predictedTtftMsTotal: number;
  predictedTpotMsTotal: number;
}

/**
 * The router's counters. RouterService updates them on every answer; `snapshot()` copies them
 * for logs, tests and the metrics exporter.
 */
export class RouterStats {
  readonly #c: RouterStatsSnapshot = {
    routed: 0,
    colocated: 0,
    disaggregated: 0,
    rejected: 0,
    unavailable: 0,
    queued: 0,
    admittedAfterQueue: 0,
    rejectedAfterQueue: 0,
    queueWaitMsTotal: 0,
    queuedNow: 0,
    predictedTtftMsTotal: 0,
    predictedTpotMsTotal: 0,
  };

  /** A copy of the counters now. */
  snapshot(): RouterStatsSnapshot {
    return { ...this.#c };
  }

  placed(mode: 'colocated' | 'disaggregated', predictedTtftMs: number, predictedTpotMs: number): void {
    this.#c.routed++;
    this.#c[mode]++;
    this.#c.predictedTtftMsTotal += predictedTtftMs;
    this.#c.predictedTpotMsTotal += predictedTpotMs;
  }

  refused(code: string): void {
    if (code === 'overloaded') this.#c.rejected++;
    else if (code === 'unavailable') this.#c.unavailable++;
  }

  held(): void {
    this.#c.queued++;
    this.#c.queuedNow++;
  }

  released(admitted: boolean, waitedMs: number): void {
    this.#c.queuedNow--;
    this.#c.queueWaitMsTotal += waitedMs;
    if (admitted) this.#c.admittedAfterQueue++;
    else {
      this.#c.rejectedAfterQueue++;
      this.#c.rejected++;
    }
  }
}
