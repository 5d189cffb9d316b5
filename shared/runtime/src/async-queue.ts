/**
 * A single-consumer queue read with `for await`: push() adds items, end() finishes the iteration
 * after the queued items, fail() finishes it with an error after them. Backs the token stream
 * subscriber.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #done = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  /** Called once when the consumer stops early (break/return) or the queue finishes. */
  #onClose: (() => void) | null;

  constructor(onClose?: () => void) {
    this.#onClose = onClose ?? null;
  }

  /** True once end() or fail() was called. */
  get finished(): boolean {
    return this.#done;
  }

  push(item: T): void {
    if (this.#done) return;
    this.#items.push(item);
    this.#signal();
  }

  end(): void {
    this.#done = true;
    this.#signal();
  }

  fail(error: unknown): void {
    if (this.#done) return;
    this.#error = error;
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        while (this.#items.length > 0) yield this.#items.shift() as T;
        if (this.#done) {
          if (this.#error !== null) throw this.#error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      this.#done = true;
      const onClose = this.#onClose;
      this.#onClose = null;
      onClose?.();
    }
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
