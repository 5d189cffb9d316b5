/**
 * The SLO-aware cost model's fixed inputs: priors used until the cluster has measured the real
 * value, and small constants of the request path. The router's `slo.*` settings fill it.
 */
export interface CostModelParams {
  /** Prefill speed (tokens/s) assumed until some instance of the model has measured one. */
  priorPrefillTokensPerS: number;
  /** Decode step time at batch 0 (ms) assumed until measured. */
  priorDecodeStepMs: number;
  /** Decode step time added per sequence (ms) assumed until two batch sizes were measured. */
  priorDecodeStepMsPerSeq: number;
  /**
   * KV hand-over speed (bytes/s) used until the prefill instance has measured its transfers (the
   * kv-connector agents publish no bandwidth; engines measure hand-over to commit).
   */
  defaultTransferBytesPerS: number;
  /** Fixed latency of one gateway -> instance submit and the first stream message (ms). */
  submitOverheadMs: number;
  /** Output tokens assumed for a request without max_tokens (its TPOT window and KV need). */
  defaultOutputTokens: number;
  /**
   * How long a placement counts as pending load on its instances after it was decided, once a
   * heartbeat was seen (ms): the time for the submit to reach the engine and show in its report.
   */
  pendingGraceMs: number;
}

/** The defaults (a CPU engine of a ~100M-parameter model; measured values replace the priors). */
export const DEFAULT_COST_MODEL_PARAMS: CostModelParams = {
  priorPrefillTokensPerS: 1000,
  priorDecodeStepMs: 30,
  priorDecodeStepMsPerSeq: 1,
  defaultTransferBytesPerS: 500e6,
  submitOverheadMs: 10,
  defaultOutputTokens: 256,
  pendingGraceMs: 50,
};
