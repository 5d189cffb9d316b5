export interface ReconnectBackoffOptions {
  /** The first retry's delay. */
  minMs: number;
  /** The longest delay between tries. */
  maxMs: number;
  /** Up to this fraction is added to each outage's delays, so many clients do not retry in step. */
  jitter?: number;
}

/**
 * The delay before the next connection attempt, for the NATS client's reconnectDelayHandler. The
 * client calls the handler on every pass of its dial loop (also while it waits), with no attempt
 * count, so the delay grows with the outage's age instead: it equals the time since the outage
 * began, clamped to [minMs, maxMs], so tries happen at about min, 2·min, 4·min, … then every maxMs.
 * An outage begins at the first call after a quiet period longer than maxMs (calls stop while
 * connected).
 */
export class ReconnectBackoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  #outageStart = 0;
  #lastCall = Number.NEGATIVE_INFINITY;
  #factor = 1;

  constructor(options: ReconnectBackoffOptions) {
    if (!(options.minMs > 0 && options.maxMs >= options.minMs)) {
      throw new RangeError(
        `reconnect backoff needs 0 < minMs <= maxMs, got ${options.minMs}, ${options.maxMs}`,
      );
    }
    this.#minMs = options.minMs;
    this.#maxMs = options.maxMs;
    this.#jitter = options.jitter ?? 0.2;
  }

  /** The delay to wait now (milliseconds). */
  next(now = Date.now()): number {
    if (now - this.#lastCall > this.#maxMs * 2) {
      this.#outageStart = now;
      this.#factor = 1 + Math.random() * this.#jitter;
    }
    this.#lastCall = now;
    const age = now - this.#outageStart;
    return Math.round(Math.min(this.#maxMs, Math.max(this.#minMs, age)) * this.#factor);
  }
}
