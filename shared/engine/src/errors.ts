/**
 * The engine's named errors. Every error the engine throws is an `EngineError`; callers (the
 * gateway, the decode service) switch on the subclass, never on the message text.
 */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A sampling parameter is out of range or malformed. `field` is the camelCase name, `param` vLLM's / OpenAI's. */
export class InvalidSamplingParamsError extends EngineError {
  constructor(
    readonly field: string,
    readonly param: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid sampling parameter ${param}: ${message}`, options);
  }
}

/** Why a request can never be served by this engine, whatever else is running. */
export type RequestTooLargeReason = 'maxModelLen' | 'kvCacheCapacity' | 'maxNumBatchedTokens';

/**
 * Thrown by `addRequest` for a request that can never run: its prompt plus max_tokens exceeds
 * maxModelLen, or needs more KV blocks than the whole pool holds. Rejected at once, never queued.
 */
export class RequestTooLargeError extends EngineError {
  constructor(
    readonly requestId: string,
    readonly reason: RequestTooLargeReason,
    readonly needed: number,
    readonly limit: number,
    message: string,
  ) {
    super(`request ${requestId} can never be scheduled: ${message}`);
  }
}

/** A request id is already in use, or a token id is outside the vocabulary. */
export class InvalidRequestError extends EngineError {
  constructor(
    readonly requestId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`request ${requestId}: ${message}`, options);
  }
}

/**
 * The model executor failed a step. The engine aborted that step's requests (`requestIds`, user
 * ids) and dropped the blocks the step wrote from the prefix cache; other requests go on.
 */
export class ExecutorError extends EngineError {
  constructor(
    message: string,
    readonly requestIds: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An engine method was called in a state that forbids it (for instance a second concurrent `step()`). */
export class EngineStateError extends EngineError {}

/** A ModelInput is inconsistent (raised by executors that validate their input, such as FakeModelExecutor). */
export class InvalidModelInputError extends EngineError {}
