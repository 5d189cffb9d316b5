import { ServiceError, type TokenBatch } from '@pdserve/protocol';

/**
 * Puts a token stream's batches back in seq order: batches may arrive late, twice, or not at all.
 * `nextSeq` is the first seq not yet released. Used by TokenStreamSubscriber; pure, no timers.
 */
export class ReorderBuffer {
  #nextSeq: number;
  readonly #held = new Map<number, TokenBatch>();
  readonly #maxHeld: number;

  /** `startSeq`: the first seq the reader wants (0, or where a resumed stream continues). */
  constructor(startSeq = 0, maxHeld = 4096) {
    this.#nextSeq = startSeq;
    this.#maxHeld = maxHeld;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** True while a later batch is held because an earlier one is missing. */
  get hasGap(): boolean {
    return this.#held.size > 0;
  }

  /**
   * Takes one batch and returns the batches now releasable in order (often just this one, none if
   * it came early or was a repeat). Throws ServiceError 'internal' if too many are held.
   */
  push(batch: TokenBatch): TokenBatch[] {
    if (batch.seq < this.#nextSeq || this.#held.has(batch.seq)) return [];
    if (batch.seq > this.#nextSeq) {
      if (this.#held.size >= this.#maxHeld) {
        throw new ServiceError(
          'internal',
          `token stream ${batch.requestId}: over ${this.#maxHeld} batches wait for seq ${this.#nextSeq}`,
        );
      }
      this.#held.set(batch.seq, batch);
      return [];
    }
    const out = [batch];
    this.#nextSeq++;
    for (let next = this.#held.get(this.#nextSeq); next !== undefined; next = this.#held.get(this.#nextSeq)) {
      this.#held.delete(this.#nextSeq);
      out.push(next);
      this.#nextSeq++;
    }
    return out;
  }
}
