import {
  ServiceError,
  type StreamReplay,
  type StreamReplayReply,
  streamReplayCodec,
  streamReplayReplyCodec,
  subjects,
  type TokenBatch,
  tokenBatchCodec,
} from '@pdserve/protocol';
import type { NatsClient, TypedSubscription } from './nats-client.js';

export interface TokenStreamPublisherOptions {
  /** The seq of the first batch (a stream continued from another instance starts after its last). */
  startSeq?: number;
  /** Send a keepalive after this long without a batch (default 1000 ms; 0: never). */
  keepaliveMs?: number;
  /** Batches kept for replays (default 4096; older ones are dropped). */
  replayLimit?: number;
  /** At most this many batches per replay reply (default 256). */
  replayBatchLimit?: number;
  /** After end()/fail(), keep answering replays this long (default 10 s), then close. */
  lingerMs?: number;
  /** Headers sent with every batch (e.g. trace context). */
  headers?: Record<string, string>;
}

/** What the engine adds to a stream; the publisher fills in requestId and seq. */
export type TokenOutput = Omit<TokenBatch, 'requestId' | 'seq' | 'keepalive' | 'done' | 'error'>;

/**
 * The sending end of one request's token stream, owned by the instance generating it (decode, or
 * colocated). Numbers batches from startSeq, keeps recent ones to answer replay requests from
 * subscribers that saw a gap, and sends keepalives while it has nothing to say. end() or fail()
 * sends the last batch and keeps answering replays for lingerMs; close() stops everything at once
 * (e.g. the request was cancelled).
 */
export class TokenStreamPublisher {
  readonly requestId: string;
  readonly #client: NatsClient;
  readonly #subject: string;
  readonly #options: TokenStreamPublisherOptions;
  readonly #sent: TokenBatch[] = [];
  #nextSeq: number;
  #lastSendMs = Date.now();
  #finished = false;
  #keepalive: NodeJS.Timeout | null = null;
  #linger: NodeJS.Timeout | null = null;
  #replays: TypedSubscription;

  constructor(client: NatsClient, requestId: string, options: TokenStreamPublisherOptions = {}) {
    this.requestId = requestId;
    this.#client = client;
    this.#subject = subjects.stream(requestId);
    this.#options = options;
    this.#nextSeq = options.startSeq ?? 0;
    const replaySubject = subjects.streamReplay(requestId);
    this.#replays = client.serve(replaySubject, streamReplayCodec, streamReplayReplyCodec, (r) =>
      this.#replay(r),
    );
    const keepaliveMs = options.keepaliveMs ?? 1000;
    if (keepaliveMs > 0) {
      this.#keepalive = setInterval(() => this.#maybeKeepalive(keepaliveMs), Math.max(1, keepaliveMs / 2));
      this.#keepalive.unref();
    }
  }

  /** The seq of the last batch sent (startSeq - 1 before the first). */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** Sends one batch of new output. */
  send(output: TokenOutput): void {
    this.#publish({ ...output });
  }

  /** Sends the stream's last batch (with what it carries, e.g. usage), then lingers for replays. */
  end(output: Partial<TokenOutput> = {}): void {
    this.#publish({ index: 0, tokenIds: [], text: '', ...output, done: true });
    this.#finish();
  }

  /** Ends the stream with `error` (the subscriber's iteration throws it), then lingers for replays. */
  fail(error: ServiceError): void {
    this.#publish({ index: 0, tokenIds: [], text: '', done: true, error: error.toWire() });
    this.#finish();
  }

  /** Stops keepalives and replays now. */
  close(): void {
    this.#finished = true;
    if (this.#keepalive !== null) clearInterval(this.#keepalive);
    if (this.#linger !== null) clearTimeout(this.#linger);
    this.#keepalive = null;
    this.#linger = null;
    this.#replays.unsubscribe();
  }

  #publish(body: Omit<TokenBatch, 'requestId' | 'seq'>): void {
    if (this.#finished) {
      throw new ServiceError('internal', `token stream ${this.requestId} already ended`);
    }
    const batch: TokenBatch = { requestId: this.requestId, seq: this.#nextSeq++, ...body };
    this.#sent.push(batch);
    if (this.#sent.length > (this.#options.replayLimit ?? 4096)) this.#sent.shift();
    this.#client.publish(this.#subject, tokenBatchCodec, batch, { headers: this.#options.headers });
    this.#lastSendMs = Date.now();
  }

  /** Keepalives go on while lingering: they tell a subscriber that lost the last batch to ask for it. */
  #finish(): void {
    this.#finished = true;
    this.#linger = setTimeout(() => this.close(), this.#options.lingerMs ?? 10_000);
    this.#linger.unref();
  }

  #maybeKeepalive(keepaliveMs: number): void {
    if (Date.now() - this.#lastSendMs < keepaliveMs) return;
    const keepalive: TokenBatch = {
      requestId: this.requestId,
      seq: this.lastSeq,
      keepalive: true,
      index: 0,
      tokenIds: [],
      text: '',
    };
    this.#client.publish(this.#subject, tokenBatchCodec, keepalive, { headers: this.#options.headers });
    this.#lastSendMs = Date.now();
  }

  #replay(request: StreamReplay): StreamReplayReply {
    const oldest = this.#sent.length > 0 ? this.#sent[0].seq : this.#nextSeq;
    if (request.fromSeq < oldest) {
      throw new ServiceError(
        'unavailable',
        `token stream ${this.requestId}: seq ${request.fromSeq} is no longer held (oldest ${oldest})`,
      );
    }
    const start = request.fromSeq - oldest;
    const batches = this.#sent.slice(start, start + (this.#options.replayBatchLimit ?? 256));
    return { requestId: this.requestId, batches };
  }
}
