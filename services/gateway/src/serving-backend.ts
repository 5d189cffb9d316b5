import type { RequestOutput, SamplingParamsInit } from '@pdserve/engine';
import type { Tokenizer } from '@pdserve/model';

/**
 * One model a backend serves, as the gateway needs it: the name clients send as `model`, the
 * context limit it checks prompts against, and the tokenizer and chat template it renders and
 * tokenizes prompts with (the gateway tokenizes; backends receive token ids only).
 */
export interface ServedModel {
  /** The name in requests and in /v1/models. */
  name: string;
  /** Longest sequence (prompt + generated tokens) the backend accepts. */
  maxModelLen: number;
  tokenizer: Tokenizer;
  /** Jinja chat template shipped with the model; absent: the model package's DEFAULT_CHAT_TEMPLATE. */
  chatTemplate?: string;
  /** The text templates use for BOS and EOS (`bos_token`, `eos_token`). */
  bosToken?: string;
  eosToken?: string;
  /** Unix seconds; /v1/models reports it. */
  created: number;
}

/**
 * One generation the gateway asks for: one prompt, already tokenized and checked against the
 * context length. `n > 1` and stop strings are the engine's work; outputs carry `index`.
 */
export interface GenerateRequest {
  /** Unique among in-flight requests; the engine's request id. */
  requestId: string;
  /** A ServedModel name. */
  model: string;
  promptTokenIds: number[];
  /** vLLM's sampling parameters in camelCase; the gateway sets outputKind 'delta'. */
  sampling: SamplingParamsInit;
  /** Lower runs earlier under the priority policy (vLLM's convention). */
  priority?: number;
  /** Isolates this request's prefix-cache blocks from requests with another salt. */
  cacheSalt?: string;
  /** Per-request latency targets for routing and admission control; a colocated backend may ignore them. */
  slo?: { ttftMs?: number; tpotMs?: number };
}

/**
 * What the gateway serves requests with: the engine in this process (LocalBackend) or a cluster
 * reached over NATS. The gateway calls `models()` per request (cheap), `generate()` once per
 * prompt and `health()` for /health. Failures are ServiceErrors (from @pdserve/protocol), thrown by
 * `generate()` before the first output or during the iteration; the gateway maps them to HTTP.
 */
export interface ServingBackend {
  /** The models served now. */
  models(): ServedModel[];
  /**
   * Starts one request and yields its outputs as deltas (only what is new: text, token ids,
   * logprobs) until one with `finished` true. Aborting `signal` (client disconnect) or leaving
   * the iteration early must cancel the request and free its resources; after an abort the
   * iteration ends soon, possibly with a final output whose finish reason is 'abort'.
   */
  generate(req: GenerateRequest, signal: AbortSignal): AsyncIterable<RequestOutput>;
  /** Whether the backend can serve requests now; `detail` is reported as is. */
  health(): Promise<{ ok: boolean; detail?: unknown }>;
}
