import type { RequestOutput, RequestSink } from '@pdserve/engine';
import { subjects, tokenBatchCodec } from '@pdserve/protocol';
import type { NatsClient } from '@pdserve/runtime';
import { engineErrorToServiceError } from './engine-error-mapping.js';

/**
 * The engine's sink for a request this instance only prefills (task 'prefill'): the engine runs
 * the prompt, samples the first token and hands the blocks with the decode state to the transfer;
 * the decode instance then publishes the whole stream from seq 0, the restored first token
 * included, and alone answers replays. So a successful prefill publishes nothing. A failure before
 * the hand-over ends the stream at once with its error (batch seq 0): the decode instance will
 * never publish, and the gateway's Cancel then frees its reservation.
 */
export class PrefillSink implements RequestSink {
  readonly requestId: string;
  readonly #client: NatsClient;
  readonly #onEnd: () => void;
  #tokens = 0;

  constructor(client: NatsClient, requestId: string, onEnd: () => void) {
    this.requestId = requestId;
    this.#client = client;
    this.#onEnd = onEnd;
  }

  push(output: RequestOutput): void {
    for (const o of output.outputs) this.#tokens += o.tokenIds.length;
    if (!output.finished) return;
    // Aborted before it sampled a token: no transfer will follow.
    if (this.#tokens === 0)
      this.#publishError(new Error(`request ${this.requestId} ended before its first token`));
    this.#onEnd();
  }

  fail(error: Error): void {
    if (this.#tokens === 0) this.#publishError(error);
    this.#onEnd();
  }

  #publishError(error: Error): void {
    const se = engineErrorToServiceError(error);
    this.#client.publish(subjects.stream(this.requestId), tokenBatchCodec, {
      requestId: this.requestId,
      seq: 0,
      index: 0,
      tokenIds: [],
      text: '',
      done: true,
      error: se.toWire(),
    });
  }
}
