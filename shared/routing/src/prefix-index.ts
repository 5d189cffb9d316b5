import type { KvEventBatch } from '@pdserve/protocol';

/** What applying a batch did. */
export type PrefixIndexApply = 'applied' | 'duplicate' | 'resynced';

/**
 * The block hashes one instance's prefix cache holds, rebuilt from its KV event batches. Batches
 * are numbered per epoch; the first batch seen (a router that starts late) is taken as it is.
 * A gap in the numbers or a new epoch means events were lost or the instance restarted: the index
 * forgets everything it knew (a resync; what is cached still is learnt again from later events,
 * so meanwhile the router underestimates hits, never overestimates them) and applies the batch.
 * Older or repeated batches are ignored. RouterClusterState keeps one per instance.
 */
export class PrefixIndex {
  readonly #hashes = new Set<string>();
  #epoch: number | null = null;
  #nextSeq = 0;
  #resyncs = 0;

  /** The cached hashes known now. */
  get blocks(): ReadonlySet<string> {
    return this.#hashes;
  }

  /** How many times the index had to forget everything (gaps, restarts). */
  get resyncs(): number {
    return this.#resyncs;
  }

  /** Applies one batch of the instance's events. */
  apply(batch: KvEventBatch): PrefixIndexApply {
    let result: PrefixIndexApply = 'applied';
    if (this.#epoch === null) {
      this.#epoch = batch.epoch;
    } else if (batch.epoch !== this.#epoch || batch.seq > this.#nextSeq) {
      if (batch.epoch < this.#epoch) return 'duplicate';
      this.#hashes.clear();
      this.#epoch = batch.epoch;
      this.#resyncs++;
      result = 'resynced';
    } else if (batch.seq < this.#nextSeq) {
      return 'duplicate';
    }
    this.#nextSeq = batch.seq + 1;
    for (const event of batch.events) {
      if (event.type === 'BlockStored') for (const h of event.blockHashes) this.#hashes.add(h);
      else if (event.type === 'BlockRemoved') for (const h of event.blockHashes) this.#hashes.delete(h);
      else this.#hashes.clear();
    }
    return result;
  }
}
