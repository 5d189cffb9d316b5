import type { RequestOutput, RequestSink } from '@pdserve/engine';
import type { ServiceError } from '@pdserve/protocol';
import { type NatsClient, type RuntimeLogger, TokenStreamPublisher } from '@pdserve/runtime';
import { engineErrorToServiceError } from './engine-error-mapping.js';
import { outputBatches } from './output-batches.js';

/** One accepted request as the runner needs it. */
export interface RunnerRequest {
  requestId: string;
  numPromptTokens: number;
  /** The first seq this instance publishes (continuing a stream another instance started). */
  streamStartSeq?: number;
}

/** What the runner is given by EngineService. */
export interface RequestRunnerOptions {
  client: NatsClient;
  logger: RuntimeLogger;
  /** Keepalive interval and post-end replay linger of the stream (ms). */
  keepaliveMs?: number;
  lingerMs?: number;
  /** Called once when the stream ended (done or failed). */
  onEnd?: () => void;
}

/**
 * The engine's sink for one request that this instance generates (colocated, or decode): its
 * delta outputs become numbered TokenBatches (the publisher answers replays, so a resumed
 * subscriber neither repeats nor loses tokens), the last one carries usage, a failure ends the
 * stream with its error. EngineService adds one per accepted SubmitRequest to its EngineLoop.
 */
export class RequestRunner implements RequestSink {
  readonly requestId: string;
  readonly #request: RunnerRequest;
  readonly #publisher: TokenStreamPublisher;
  readonly #options: RequestRunnerOptions;
  #completionTokens = 0;
  #cachedTokens = 0;
  #ended = false;

  constructor(request: RunnerRequest, options: RequestRunnerOptions) {
    this.requestId = request.requestId;
    this.#request = request;
    this.#options = options;
    this.#publisher = new TokenStreamPublisher(options.client, request.requestId, {
      ...(request.streamStartSeq === undefined ? {} : { startSeq: request.streamStartSeq }),
      ...(options.keepaliveMs === undefined ? {} : { keepaliveMs: options.keepaliveMs }),
      ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
    });
  }

  /** True once the stream ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** One delta output: its batches, and the end of the stream when it is the last. */
  push(output: RequestOutput): void {
    if (this.#ended) return;
    this.#cachedTokens = Math.max(this.#cachedTokens, output.numCachedTokens);
    for (const body of outputBatches(output)) {
      this.#completionTokens += body.tokenIds.length;
      this.#publisher.send(body);
    }
    if (output.finished) this.#end();
  }

  /** The engine failed the request (EngineLoop calls it with engine errors). */
  fail(error: Error): void {
    this.failWith(engineErrorToServiceError(error));
  }

  /** Ends the stream with `error` (the subscriber's iteration throws it); no-op once ended. */
  failWith(error: ServiceError): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error.code === 'internal') {
      this.#options.logger.warn({ requestId: this.requestId, err: error }, 'request failed');
    }
    this.#publisher.fail(error);
    this.#options.onEnd?.();
  }

  #end(): void {
    this.#ended = true;
    this.#publisher.end({
      numCachedTokens: this.#cachedTokens,
      usage: {
        promptTokens: this.#request.numPromptTokens,
        completionTokens: this.#completionTokens,
        cachedTokens: this.#cachedTokens,
      },
    });
    this.#options.onEnd?.();
  }
}
