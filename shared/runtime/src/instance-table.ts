import type { Heartbeat, InstanceInfo, InstanceRecord } from '@pdserve/protocol';

/** A live instance as the cluster view knows it. */
export interface LiveInstance {
  info: InstanceInfo;
  heartbeat: Heartbeat;
  /** When its latest heartbeat was seen (this process's clock, ms). */
  lastSeenMs: number;
}

/** Why an instance left the view. */
export type DeadReason = 'deregistered' | 'expired' | 'replaced';

/** Callbacks the table calls as instances come, change and go (ClusterView turns them into events). */
export interface InstanceTableListener {
  up(instance: LiveInstance): void;
  updated(instance: LiveInstance): void;
  dead(info: InstanceInfo, reason: DeadReason): void;
}

interface Slot {
  revision: number;
  live: LiveInstance | null;
  timer: NodeJS.Timeout | null;
}

/**
 * The instances behind a ClusterView, keyed by bucket key, fed with KV puts and deletes in any
 * order (a snapshot read and a watch overlap, so each key keeps its newest revision and ignores
 * older ones). An instance is dead when deleted, replaced by a new epoch, or when its last
 * heartbeat is older than deadAfterMs, by its own timer, whatever the bucket's purge does.
 */
export class InstanceTable {
  readonly #slots = new Map<string, Slot>();
  readonly #deadAfterMs: number;
  readonly #listener: InstanceTableListener;

  constructor(deadAfterMs: number, listener: InstanceTableListener) {
    this.#deadAfterMs = deadAfterMs;
    this.#listener = listener;
  }

  /** The live instances. */
  live(): LiveInstance[] {
    const out: LiveInstance[] = [];
    for (const slot of this.#slots.values()) if (slot.live !== null) out.push(slot.live);
    return out;
  }

  /** A put of `record` at `revision`, its heartbeat seen at `seenMs`. */
  put(key: string, revision: number, record: InstanceRecord, seenMs: number): void {
    const slot = this.#slot(key);
    if (revision <= slot.revision) return;
    slot.revision = revision;
    const previous = slot.live;
    const next: LiveInstance = { info: record.info, heartbeat: record.heartbeat, lastSeenMs: seenMs };
    if (previous !== null && previous.info.epoch !== record.info.epoch) this.#kill(slot, 'replaced');
    const leftMs = seenMs + this.#deadAfterMs - Date.now();
    if (leftMs <= 0) {
      if (slot.live !== null) this.#kill(slot, 'expired');
      return;
    }
    slot.live = next;
    this.#arm(slot, leftMs);
    if (previous !== null && previous.info.epoch === record.info.epoch) this.#listener.updated(next);
    else this.#listener.up(next);
  }

  /** A delete (or purge) of `key` at `revision`. */
  delete(key: string, revision: number): void {
    const slot = this.#slot(key);
    if (revision <= slot.revision) return;
    slot.revision = revision;
    if (slot.live !== null) this.#kill(slot, 'deregistered');
  }

  /** Stops every timer (the view is closing); nothing is reported dead. */
  clear(): void {
    for (const slot of this.#slots.values()) if (slot.timer !== null) clearTimeout(slot.timer);
    this.#slots.clear();
  }

  #slot(key: string): Slot {
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = { revision: 0, live: null, timer: null };
      this.#slots.set(key, slot);
    }
    return slot;
  }

  #arm(slot: Slot, ms: number): void {
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => this.#kill(slot, 'expired'), ms);
    slot.timer.unref();
  }

  #kill(slot: Slot, reason: DeadReason): void {
    const live = slot.live;
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    slot.live = null;
    if (live !== null) this.#listener.dead(live.info, reason);
  }
}
