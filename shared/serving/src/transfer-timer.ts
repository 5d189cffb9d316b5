/** Prefill tasks remembered at most (the oldest are dropped first). */
const MAX_TRACKED = 4096;

/**
 * Times a prefill instance's KV hand-overs: from the moment the prompt's blocks go to the
 * transfer (the connector's 'prefillDone') to the moment the decode side committed them
 * ('sendFinished'). EngineService feeds it from its KV connector events and passes each finished
 * transfer's bytes and milliseconds to LoadTracker.observeTransfer.
 */
export class TransferTimer {
  readonly #bytesOf: (numPromptTokens: number) => number;
  readonly #prompts = new Map<string, number>();
  readonly #started = new Map<string, { bytes: number; atMs: number }>();

  /** `bytesOf` gives the KV bytes a prompt of n tokens occupies (whole blocks). */
  constructor(bytesOf: (numPromptTokens: number) => number) {
    this.#bytesOf = bytesOf;
  }

  /** A prefill task was accepted with this many prompt tokens. */
  expect(requestId: string, numPromptTokens: number): void {
    this.#prompts.set(requestId, numPromptTokens);
    // Tasks aborted before their prefill finished never transfer: keep only the newest.
    if (this.#prompts.size > MAX_TRACKED) this.#prompts.delete(this.#prompts.keys().next().value as string);
  }

  /** Its blocks went to the transfer. */
  started(requestId: string, nowMs = performance.now()): void {
    const tokens = this.#prompts.get(requestId);
    if (tokens === undefined) return;
    this.#prompts.delete(requestId);
    this.#started.set(requestId, { bytes: this.#bytesOf(tokens), atMs: nowMs });
  }

  /** Bytes of the transfers under way (handed over, not yet committed or failed). */
  get bytesInFlight(): number {
    let n = 0;
    for (const t of this.#started.values()) n += t.bytes;
    return n;
  }

  /** The transfer is over: its size and duration when it succeeded, else null. */
  finished(requestId: string, ok: boolean, nowMs = performance.now()): { bytes: number; ms: number } | null {
    const start = this.#started.get(requestId);
    this.#started.delete(requestId);
    this.#prompts.delete(requestId);
    if (start === undefined || !ok) return null;
    return { bytes: start.bytes, ms: nowMs - start.atMs };
  }
}
