import { EngineError } from './errors.js';
import type { Request } from './request.js';

/** The scheduling policies a waiting queue can implement. */
export type SchedulingPolicy = 'fcfs' | 'priority';

/**
 * The Scheduler's waiting queue. `peek`/`pop` give the next request to admit; `prepend` puts a
 * preempted request back so it runs before later arrivals; `remove` takes out aborted ones.
 * Implementations: FcfsRequestQueue and PriorityRequestQueue (one conformance suite covers both).
 */
export interface RequestQueue extends Iterable<Request> {
  readonly length: number;
  add(request: Request): void;
  peek(): Request | undefined;
  pop(): Request | undefined;
  prepend(request: Request): void;
  remove(request: Request): boolean;
}

/** First come, first served: a deque in arrival order; preempted requests go to the front. */
export class FcfsRequestQueue implements RequestQueue {
  private items: Request[] = [];

  get length(): number {
    return this.items.length;
  }

  add(request: Request): void {
    this.items.push(request);
  }

  peek(): Request | undefined {
    return this.items[0];
  }

  pop(): Request | undefined {
    return this.items.shift();
  }

  prepend(request: Request): void {
    this.items.unshift(request);
  }

  remove(request: Request): boolean {
    const i = this.items.indexOf(request);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  [Symbol.iterator](): Iterator<Request> {
    return this.items[Symbol.iterator]();
  }
}

/** Orders by (priority, arrivalTime, arrivalOrder): lower priority value first, then earlier arrival. */
export function comparePriority(a: Request, b: Request): number {
  return a.priority - b.priority || a.arrivalTime - b.arrivalTime || a.arrivalOrder - b.arrivalOrder;
}

/**
 * Priority scheduling: a binary min-heap on comparePriority. A preempted request re-enters at its
 * own rank, which puts it ahead of every later arrival of the same priority.
 */
export class PriorityRequestQueue implements RequestQueue {
  private heap: Request[] = [];

  get length(): number {
    return this.heap.length;
  }

  add(request: Request): void {
    this.heap.push(request);
    this.siftUp(this.heap.length - 1);
  }

  peek(): Request | undefined {
    return this.heap[0];
  }

  pop(): Request | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  prepend(request: Request): void {
    this.add(request);
  }

  remove(request: Request): boolean {
    const i = this.heap.indexOf(request);
    if (i < 0) return false;
    const last = this.heap.pop()!;
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.siftDown(i);
      this.siftUp(i);
    }
    return true;
  }

  /** Iterates in priority order (sorts a copy). */
  [Symbol.iterator](): Iterator<Request> {
    return [...this.heap].sort(comparePriority)[Symbol.iterator]();
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (comparePriority(heap[i], heap[parent]) >= 0) return;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      let best = i;
      for (const c of [2 * i + 1, 2 * i + 2]) {
        if (c < heap.length && comparePriority(heap[c], heap[best]) < 0) best = c;
      }
      if (best === i) return;
      [heap[i], heap[best]] = [heap[best], heap[i]];
      i = best;
    }
  }
}

/** The queue for a policy. */
export function createRequestQueue(policy: SchedulingPolicy): RequestQueue {
  if (policy === 'fcfs') return new FcfsRequestQueue();
  if (policy === 'priority') return new PriorityRequestQueue();
  throw new EngineError(`unknown scheduling policy ${String(policy)}`);
}
