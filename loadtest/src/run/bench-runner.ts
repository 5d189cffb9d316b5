import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientOptions } from '../client/client-options.js';
import { HttpTransport } from '../client/http-transport.js';
import { streamCompletion } from '../client/stream-completion.js';
import type { BenchRequest } from '../datasets/bench-request.js';
import { requestMetrics } from '../metrics/request-metrics.js';
import type { RequestResult } from '../metrics/request-result.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { DurationLimitReached } from './duration-limit-reached.js';

/** Everything one measured run needs; built by the serve command (or a test). */
export interface RunOptions {
  client: ClientOptions;
  /** The measured requests, sent at `schedule` offsets (ms, same length). */
  requests: readonly BenchRequest[];
  schedule: readonly number[];
  /** Sent first, all together within maxConcurrency, and not counted. */
  warmups: readonly BenchRequest[];
  /** Most requests in flight at once; null for no limit. */
  maxConcurrency: number | null;
  /** Hard bound on the whole run, warm-ups included: sending stops and in-flight requests abort. */
  durationLimitS: number;
  /** Called as each measured request ends (for progress). */
  onResult?: (r: RequestResult) => void;
}

/** What a run produced, before aggregation. */
export interface RunRecord {
  results: RequestResult[];
  /** Measured requests never sent because the duration limit came first. */
  notSent: number;
  /** From the first measured send to the last measured end, seconds. */
  durationS: number;
  warmupsCompleted: number;
  hitDurationLimit: boolean;
  startedAt: Date;
  /** performance.now() at the first measured send: the zero of every time in `results`. */
  clockOriginMs: number;
}

/**
 * Runs warm-ups, then sends each measured request at its scheduled offset (waiting for a slot
 * under maxConcurrency), and waits for all of them, all bounded by the duration limit.
 */
export async function runBench(o: RunOptions): Promise<RunRecord> {
  if (o.schedule.length !== o.requests.length) throw new RangeError('schedule and requests differ in length');
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DurationLimitReached(o.durationLimitS)),
    o.durationLimitS * 1000,
  );
  const limiter = new ConcurrencyLimiter(o.maxConcurrency ?? Number.POSITIVE_INFINITY);
  const transport = new HttpTransport();
  try {
    const warmupsCompleted = await runWarmups(o, transport, limiter, deadline.signal);
    const startedAt = new Date();
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const results = await sendScheduled(o, transport, limiter, deadline.signal, now);
    return {
      results: results.sort((a, b) => a.index - b.index),
      notSent: o.requests.length - results.length,
      durationS: now() / 1000,
      warmupsCompleted,
      hitDurationLimit: deadline.signal.aborted,
      startedAt,
      clockOriginMs: t0,
    };
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}

async function sendScheduled(
  o: RunOptions,
  transport: HttpTransport,
  limiter: ConcurrencyLimiter,
  signal: AbortSignal,
  now: () => number,
): Promise<RequestResult[]> {
  const results: RequestResult[] = [];
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < o.requests.length; i++) {
    const wait = o.schedule[i] - now();
    if (!(await waitFor(wait, signal)) || !(await acquire(limiter, signal))) break;
    const req = o.requests[i];
    const sending = streamCompletion(transport, o.client, req, signal, now).then((rec) => {
      const r = requestMetrics(i, req, o.schedule[i], rec);
      results.push(r);
      o.onResult?.(r);
    });
    inFlight.push(sending.finally(() => limiter.release()));
  }
  await Promise.all(inFlight);
  return results;
}

async function runWarmups(
  o: RunOptions,
  transport: HttpTransport,
  limiter: ConcurrencyLimiter,
  signal: AbortSignal,
) {
  const now = () => performance.now();
  let completed = 0;
  const inFlight: Promise<void>[] = [];
  for (const req of o.warmups) {
    if (!(await acquire(limiter, signal))) break;
    const sending = streamCompletion(transport, o.client, req, signal, now).then((rec) => {
      if (rec.outcome === 'ok') completed++;
    });
    inFlight.push(sending.finally(() => limiter.release()));
  }
  await Promise.all(inFlight);
  return completed;
}

/** Sleeps `ms` (if positive); false when the signal aborted first. */
async function waitFor(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  return sleep(ms, undefined, { signal }).then(
    () => true,
    () => false,
  );
}

async function acquire(limiter: ConcurrencyLimiter, signal: AbortSignal): Promise<boolean> {
  return limiter.acquire(signal).then(
    () => true,
    () => false,
  );
}
