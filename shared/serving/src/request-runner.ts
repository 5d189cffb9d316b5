import type { RequestOutput } from '@pdserve/engine';
import type { ServiceError } from '@pdserve/protocol';
import type { NatsClient, RuntimeLogger } from '@pdserve/runtime';
import { TokenStreamPublisher } from '@pdserve/runtime';
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
}

/**
 * Pumps one request's delta outputs from the engine into its token stream: numbered batches (the
 * publisher answers replays, so a resumed subscriber neither repeats nor loses tokens), the last
 * one with usage, or a failure as the stream's error. EngineService starts one per accepted
 * SubmitRequest; fail() ends the stream early (shutdown).
 */
export class RequestRunner {
  readonly requestId: string;
  readonly #request: RunnerRequest;
  readonly #publisher: TokenStreamPublisher;
  readonly #logger: RuntimeLogger;
  #completionTokens = 0;
  #cachedTokens = 0;
  #ended = false;

  constructor(request: RunnerRequest, options: RequestRunnerOptions) {
    this.requestId = request.requestId;
    this.#request = request;
    this.#logger = options.logger;
    this.#publisher = new TokenStreamPublisher(options.client, request.requestId, {
      ...(request.streamStartSeq === undefined ? {} : { startSeq: request.streamStartSeq }),
      ...(options.keepaliveMs === undefined ? {} : { keepaliveMs: options.keepaliveMs }),
      ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
    });
  }

  /** Streams every output of `outputs` until it ends; never throws (failures end the stream). */
  async run(outputs: AsyncIterable<RequestOutput>): Promise<void> {
    try {
      for await (const output of outputs) {
        if (this.#ended) return;
        this.#send(output);
        if (output.finished) break;
      }
      this.#end();
    } catch (error) {
      this.fail(engineErrorToServiceError(error));
    }
  }

  /** Ends the stream with `error` (the subscriber's iteration throws it); no-op once ended. */
  fail(error: ServiceError): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error.code === 'internal')
      this.#logger.warn({ requestId: this.requestId, err: error }, 'request failed');
    this.#publisher.fail(error);
  }

  #send(output: RequestOutput): void {
    this.#cachedTokens = Math.max(this.#cachedTokens, output.numCachedTokens);
    for (const body of outputBatches(output)) {
      this.#completionTokens += body.tokenIds.length;
      this.#publisher.send(body);
    }
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#publisher.end({
      numCachedTokens: this.#cachedTokens,
      usage: {
        promptTokens: this.#request.numPromptTokens,
        completionTokens: this.#completionTokens,
        cachedTokens: this.#cachedTokens,
      },
    });
  }
}
