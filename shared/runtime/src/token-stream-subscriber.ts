import {
  ServiceError,
  streamReplayCodec,
  streamReplayReplyCodec,
  subjects,
  type TokenBatch,
  tokenBatchCodec,
} from '@pdserve/protocol';
import { AsyncQueue } from './async-queue.js';
import type { NatsClient, TypedSubscription } from './nats-client.js';
import { ReorderBuffer } from './reorder-buffer.js';

export interface TokenStreamSubscriberOptions {
  /** The first seq wanted (0, or the seq after the last one delivered when resuming). */
  startSeq?: number;
  /** Fail when no batch or keepalive arrives for this long (default 5000 ms). */
  idleTimeoutMs?: number;
  /** How long a gap may stay open (a batch may just be late) before asking for a replay (default 100 ms). */
  gapTimeoutMs?: number;
  /** Timeout of one replay request (default 1000 ms). */
  replayTimeoutMs?: number;
  /** Replays tried for one gap before the stream fails (default 3). */
  maxReplays?: number;
}

/**
 * The receiving end of one request's token stream (the gateway's). Open it before submitting the
 * request, then iterate: batches come in seq order without repeats; a gap is filled by asking the
 * publisher to replay, and the iteration throws ServiceError 'unavailable' when it cannot be, or
 * when the publisher is silent (no batch, no keepalive) for idleTimeoutMs: it never hangs. It ends
 * after the batch marked done, or throws the error such a batch carries. close() stops it early.
 */
export class TokenStreamSubscriber implements AsyncIterable<TokenBatch> {
  readonly requestId: string;
  readonly #client: NatsClient;
  readonly #buffer: ReorderBuffer;
  readonly #queue: AsyncQueue<TokenBatch>;
  readonly #idleMs: number;
  readonly #gapMs: number;
  readonly #replayTimeoutMs: number;
  readonly #maxReplays: number;
  #sub: TypedSubscription | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #gapTimer: NodeJS.Timeout | null = null;
  #replaysForGap = 0;
  /** The highest seq a keepalive said was sent. */
  #announcedSeq = -1;

  private constructor(client: NatsClient, requestId: string, options: TokenStreamSubscriberOptions) {
    this.requestId = requestId;
    this.#client = client;
    this.#buffer = new ReorderBuffer(options.startSeq ?? 0);
    this.#queue = new AsyncQueue(() => this.#stop());
    this.#idleMs = options.idleTimeoutMs ?? 5000;
    this.#gapMs = options.gapTimeoutMs ?? 100;
    this.#replayTimeoutMs = options.replayTimeoutMs ?? 1000;
    this.#maxReplays = options.maxReplays ?? 3;
  }

  /** Subscribes and waits until the server has the subscription, so no batch sent after this is missed. */
  static async open(
    client: NatsClient,
    requestId: string,
    options: TokenStreamSubscriberOptions = {},
  ): Promise<TokenStreamSubscriber> {
    const stream = new TokenStreamSubscriber(client, requestId, options);
    stream.#sub = client.subscribe(subjects.stream(requestId), tokenBatchCodec, (batch) =>
      stream.#onBatch(batch),
    );
    stream.#armIdle();
    await client.flush();
    return stream;
  }

  /** The seq of the last batch released to the iteration (startSeq - 1 before the first). */
  get lastDeliveredSeq(): number {
    return this.#buffer.nextSeq - 1;
  }

  [Symbol.asyncIterator](): AsyncIterator<TokenBatch> {
    return this.#queue[Symbol.asyncIterator]();
  }

  /** Stops receiving; an iteration in progress ends after what is queued. */
  close(): void {
    this.#queue.end();
    this.#stop();
  }

  #onBatch(batch: TokenBatch): void {
    if (this.#queue.finished || batch.requestId !== this.requestId) return;
    this.#armIdle();
    if (batch.keepalive === true) {
      this.#announcedSeq = Math.max(this.#announcedSeq, batch.seq);
    } else {
      this.#accept(batch);
    }
    this.#checkGap();
  }

  #accept(batch: TokenBatch): void {
    let released: TokenBatch[];
    try {
      released = this.#buffer.push(batch);
    } catch (err) {
      this.#fail(ServiceError.from(err));
      return;
    }
    if (released.length > 0) this.#replaysForGap = 0;
    for (const b of released) {
      if (b.error !== undefined) {
        this.#fail(ServiceError.fromWire(b.error));
        return;
      }
      this.#queue.push(b);
      if (b.done === true) {
        this.#queue.end();
        this.#stop();
        return;
      }
    }
  }

  /** A gap: a later batch is held, or a keepalive announced batches we have not seen. */
  #checkGap(): void {
    const gap = this.#buffer.hasGap || this.#announcedSeq >= this.#buffer.nextSeq;
    if (!gap || this.#queue.finished) {
      if (this.#gapTimer !== null) clearTimeout(this.#gapTimer);
      this.#gapTimer = null;
      return;
    }
    if (this.#gapTimer !== null) return;
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = null;
      void this.#replay();
    }, this.#gapMs);
  }

  async #replay(): Promise<void> {
    const fromSeq = this.#buffer.nextSeq;
    if (this.#replaysForGap++ >= this.#maxReplays) {
      this.#fail(this.#lost(fromSeq, `${this.#maxReplays} replays did not fill it`));
      return;
    }
    try {
      const reply = await this.#client.request(
        subjects.streamReplay(this.requestId),
        streamReplayCodec,
        { requestId: this.requestId, fromSeq },
        streamReplayReplyCodec,
        { timeoutMs: this.#replayTimeoutMs },
      );
      for (const batch of reply.batches) this.#onBatch(batch);
    } catch (err) {
      const error = ServiceError.from(err);
      // Timeouts may pass; a publisher that is gone or no longer holds the batches cannot help.
      if (error.code !== 'timeout') {
        this.#fail(this.#lost(fromSeq, error.message, error));
        return;
      }
    }
    this.#checkGap();
  }

  #lost(fromSeq: number, why: string, cause?: unknown): ServiceError {
    return new ServiceError(
      'unavailable',
      `token stream ${this.requestId} lost batches from seq ${fromSeq}: ${why}`,
      {
        cause,
      },
    );
  }

  #armIdle(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      const last = this.lastDeliveredSeq;
      const why = `no batch or keepalive for ${this.#idleMs} ms (publisher silent or gone); last delivered seq ${last}`;
      this.#fail(new ServiceError('unavailable', `token stream ${this.requestId}: ${why}`));
    }, this.#idleMs);
  }

  #fail(error: ServiceError): void {
    this.#queue.fail(error);
    this.#stop();
  }

  #stop(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    if (this.#gapTimer !== null) clearTimeout(this.#gapTimer);
    this.#idleTimer = null;
    this.#gapTimer = null;
    this.#sub?.unsubscribe();
    this.#sub = null;
  }
}
