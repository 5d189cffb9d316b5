import type { RouteDecision, RouteRequest, ServiceError } from '@pdserve/protocol';
import type { RouteOutcome } from './routing-policy.js';

/** One request held for capacity. */
interface Held {
  request: RouteRequest;
  timer: NodeJS.Timeout;
  resolve: (decision: RouteDecision) => void;
  reject: (error: ServiceError) => void;
}

/** What the queue reports back to its owner. */
export interface AdmissionQueueEvents {
  /** A held request was placed after waiting `waitedMs`. */
  admitted(request: RouteRequest, waitedMs: number): void;
  /** A held request was finally refused after waiting `waitedMs`. */
  refused(request: RouteRequest, waitedMs: number): void;
}

/**
 * Requests a policy called `queueable` (their TTFT still holds; decode batch or KV space is short),
 * held at the router instead of answered at once. `retry(model)` decides every held request of
 * the model again, oldest first, and RouterService calls it whenever a heartbeat of that model
 * arrives; each is answered as soon as the policy places it, or refused when the policy stops
 * calling it queueable (its wait is taken from its TTFT budget) or, at the latest, when `maxHoldMs`
 * after its arrival one last decision is made. Answers go through the promise `hold` returned.
 */
export class AdmissionQueue {
  readonly #decide: (request: RouteRequest) => RouteOutcome;
  readonly #maxHoldMs: number;
  readonly #events: AdmissionQueueEvents;
  readonly #held: Held[] = [];
  readonly #now: () => number;

  constructor(
    decide: (request: RouteRequest) => RouteOutcome,
    maxHoldMs: number,
    events: AdmissionQueueEvents,
    now: () => number = Date.now,
  ) {
    this.#decide = decide;
    this.#maxHoldMs = maxHoldMs;
    this.#events = events;
    this.#now = now;
  }

  /** Requests held now. */
  get length(): number {
    return this.#held.length;
  }

  /** Holds `request` (its last decision was a queueable rejection) until it is placed or refused. */
  hold(request: RouteRequest): Promise<RouteDecision> {
    return new Promise((resolve, reject) => {
      const waitMs = Math.max(0, request.arrivalTimeMs + this.#maxHoldMs - this.#now());
      const held: Held = { request, resolve, reject, timer: setTimeout(() => this.#expire(held), waitMs) };
      this.#held.push(held);
    });
  }

  /** Decides the held requests of `model` again, oldest first. */
  retry(model: string): void {
    for (const held of [...this.#held]) {
      if (held.request.model === model) this.#attempt(held, false);
    }
  }

  /** Refuses every held request with `error` (the router is stopping). */
  close(error: ServiceError): void {
    for (const held of this.#held.splice(0)) {
      clearTimeout(held.timer);
      held.reject(error);
    }
  }

  #expire(held: Held): void {
    if (this.#held.includes(held)) this.#attempt(held, true);
  }

  #attempt(held: Held, last: boolean): void {
    const outcome = this.#decide(held.request);
    const waitedMs = this.#now() - held.request.arrivalTimeMs;
    if (outcome.ok) {
      this.#remove(held);
      this.#events.admitted(held.request, waitedMs);
      held.resolve(outcome.decision);
      return;
    }
    if (outcome.queueable === true && !last) return;
    this.#remove(held);
    this.#events.refused(held.request, waitedMs);
    held.reject(outcome.error);
  }

  #remove(held: Held): void {
    clearTimeout(held.timer);
    const i = this.#held.indexOf(held);
    if (i >= 0) this.#held.splice(i, 1);
  }
}
