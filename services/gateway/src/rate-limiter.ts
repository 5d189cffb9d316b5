/** A token bucket per client: `burst` requests at once, refilled at `requestsPerSecond`. */
export interface RateLimitOptions {
  requestsPerSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept before idle (full) ones are dropped. */
const MAX_BUCKETS = 10_000;

/**
 * Per-key token buckets (keys are API keys). `take` is called once per request by the gateway's
 * rate-limit middleware; it spends one token or says how long until one is available.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(options.requestsPerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError(
        `rate limit needs requestsPerSecond > 0 and burst >= 1, got ${JSON.stringify(options)}`,
      );
    }
  }

  /** Spends a token of `key`'s bucket: 0 when allowed, else the seconds until a token is there. */
  take(key: string): number {
    const now = this.clock();
    const bucket = this.refill(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.options.requestsPerSecond;
  }

  private refill(key: string, now: number): Bucket {
    const { burst, requestsPerSecond } = this.options;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.dropIdle(now);
      bucket = { tokens: burst, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * requestsPerSecond);
    bucket.at = now;
    return bucket;
  }

  private dropIdle(now: number): void {
    const full = (this.options.burst / this.options.requestsPerSecond) * 1000;
    for (const [key, b] of this.buckets) if (now - b.at >= full) this.buckets.delete(key);
  }
}
