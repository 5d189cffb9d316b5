import { EngineError } from './errors.js';

/**
 * A decode instance cannot reserve KV blocks for a disaggregated request's prompt now (the pool is
 * full). Retryable: the decode service answers ServiceError 'overloaded'.
 */
export class KvCacheFullError extends EngineError {
  constructor(
    readonly requestId: string,
    message: string,
  ) {
    super(`request ${requestId}: ${message}`);
  }
}
