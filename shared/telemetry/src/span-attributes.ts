/**
 * The attribute keys of pdserve's spans, in one place so producers (the services) and consumers
 * (the status page, tests, docs/observability.md) agree.
 */
export const ATTR = {
  /** The gateway's request id (X-Request-Id) on gateway spans; the cluster request id on the others. */
  requestId: 'pdserve.request_id',
  /** The id the gateway gave the request on the cluster (`<request id>:<tag><n>`). */
  clusterRequestId: 'pdserve.cluster_request_id',
  model: 'pdserve.model',
  instanceId: 'pdserve.instance_id',
  /** What an engine instance does for the request: 'prefill', 'decode' or 'both'. */
  task: 'pdserve.task',
  promptTokens: 'pdserve.prompt_tokens',
  cachedTokens: 'pdserve.cached_tokens',
  completionTokens: 'pdserve.completion_tokens',
  finishReason: 'pdserve.finish_reason',
  chunkTokens: 'pdserve.chunk.tokens',
  numChunks: 'pdserve.prefill.chunks',
  routeMode: 'pdserve.route.mode',
  routePolicy: 'pdserve.route.policy',
  routePrefillInstance: 'pdserve.route.prefill_instance',
  routeDecodeInstance: 'pdserve.route.decode_instance',
  routeCachedTokens: 'pdserve.route.cached_tokens',
  predictedTtftMs: 'pdserve.route.predicted_ttft_ms',
  predictedTpotMs: 'pdserve.route.predicted_tpot_ms',
  rejection: 'pdserve.route.rejection',
  kvTransport: 'pdserve.kv.transport',
  kvTransferId: 'pdserve.kv.transfer_id',
  kvBytes: 'pdserve.kv.bytes',
  kvBlocks: 'pdserve.kv.blocks',
  kvBlockBytes: 'pdserve.kv.block_bytes',
  kvRetries: 'pdserve.kv.retries',
  kvOutcome: 'pdserve.kv.outcome',
  errorCode: 'pdserve.error_code',
  ttftMs: 'pdserve.ttft_ms',
} as const;

/** The names of the spans each service opens (docs/observability.md shows a trace of them). */
export const SPAN = {
  gatewayParse: 'gateway.parse',
  gatewayRoute: 'gateway.route',
  gatewaySubmit: 'gateway.submit',
  routerRoute: 'router.route',
  prefill: 'prefill',
  prefillQueue: 'prefill.queue',
  prefillChunk: 'prefill.chunk',
  decodeReserve: 'decode.reserve',
  decode: 'decode',
  decodeQueue: 'decode.queue',
  kvTransfer: 'kv.transfer',
} as const;
