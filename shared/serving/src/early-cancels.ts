/** How long a Cancel for a request not (yet) here is remembered (default 30 s). */
const DEFAULT_KEEP_MS = 30_000;

/**
 * Cancels that arrived before their request (a client that went away while its submit was in
 * flight): EngineService remembers them for a while and refuses the late submit. Every instance
 * hears every Cancel, so entries expire rather than wait for a submit that may never come here.
 */
export class EarlyCancels {
  readonly #at = new Map<string, number>();

  constructor(private readonly keepMs = DEFAULT_KEEP_MS) {}

  add(requestId: string, nowMs = Date.now()): void {
    this.#prune(nowMs);
    this.#at.set(requestId, nowMs);
  }

  /** True (and forgotten) when `requestId` was cancelled recently. */
  take(requestId: string, nowMs = Date.now()): boolean {
    this.#prune(nowMs);
    return this.#at.delete(requestId);
  }

  #prune(nowMs: number): void {
    // Insertion order is arrival order: stop at the first one still fresh.
    for (const [id, at] of this.#at) {
      if (nowMs - at <= this.keepMs) break;
      this.#at.delete(id);
    }
  }
}
