import type { NatsClient } from '@pdserve/runtime';
import type { ServiceTelemetry } from '@pdserve/telemetry';
import type { ServedTokenizer } from './served-tokenizer.js';
import type { ServedModel } from './serving-backend.js';

/** One model a NatsBackend serves: the name requests use and what the gateway loaded of it. */
export interface NatsModel {
  name: string;
  served: ServedTokenizer;
}

/** How a NatsBackend reaches the cluster and how long it waits. */
export interface NatsBackendOptions {
  /** The gateway's NATS connection (owned by the caller). */
  client: NatsClient;
  models: readonly NatsModel[];
  /** Route request timeout (default 2000 ms). */
  routeTimeoutMs?: number;
  /** Submit timeout per instance (default 5000 ms). */
  submitTimeoutMs?: number;
  /** Fail a stream silent this long: no token, no keepalive (default 10000 ms). */
  streamIdleTimeoutMs?: number;
  /** Retry-After of 'unavailable' answers, seconds (default 1). */
  retryAfterS?: number;
  /** Silence after which an instance is dead (default 3000 ms). */
  deadAfterMs?: number;
  /** The discovery bucket's max_age if this gateway creates it. */
  ttlMs?: number;
  bucket?: string;
  /** Client spans for the route and submit calls (their trace headers reach the services); absent: none. */
  telemetry?: ServiceTelemetry;
}

/**
 * A NatsModel as the gateway's ServedModel. maxModelLen starts at the model's own limit (unknown
 * for llama2.c tokenizers: unbounded) until a live instance tells its own.
 */
export function servedModelOf(model: NatsModel): ServedModel {
  const tok = model.served.tokenizer;
  return {
    name: model.name,
    maxModelLen: model.served.maxSeqLen ?? Number.MAX_SAFE_INTEGER,
    tokenizer: tok,
    ...(model.served.chatTemplate === undefined ? {} : { chatTemplate: model.served.chatTemplate }),
    ...(tok.bosTokenId >= 0 ? { bosToken: tok.tokenPiece(tok.bosTokenId).trim() } : {}),
    ...(tok.eosTokenIds.length > 0 ? { eosToken: tok.tokenPiece(tok.eosTokenIds[0]).trim() } : {}),
    created: Math.floor(Date.now() / 1000),
  };
}
