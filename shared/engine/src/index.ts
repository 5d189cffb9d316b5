export { type BlockHash, BlockHasher } from './block-hasher.js';
export { BlockPool, type BlockPoolOptions } from './block-pool.js';
export { checkRequestFits, type FitLimits } from './check-fits.js';
export { checkStop } from './check-stop.js';
export { EngineCore, type EngineCoreConfig, type EngineCoreRequest } from './engine-core.js';
export type {
  EngineCoreOutput,
  EngineCoreOutputs,
  PromptLogprobsChunk,
  SampleResult,
  SchedulerStats,
  TokenLogprobs,
} from './engine-core-output.js';
export { EngineLoop, type RequestSink } from './engine-loop.js';
export {
  EngineError,
  EngineStateError,
  ExecutorError,
  InvalidModelInputError,
  InvalidRequestError,
  InvalidSamplingParamsError,
  RequestTooLargeError,
  type RequestTooLargeReason,
} from './errors.js';
export {
  FakeModelExecutor,
  type FakeModelExecutorOptions,
  type FakeModelExecutorStats,
} from './fake-model-executor.js';
export { FreeBlockQueue } from './free-block-queue.js';
export {
  type Detokenizer,
  IncrementalDetokenizer,
  type StopStringOptions,
} from './incremental-detokenizer.js';
export { KvCacheBlock } from './kv-cache-block.js';
export {
  type ComputedBlocks,
  KvCacheManager,
  type KvCacheManagerOptions,
  type PrefixCacheStats,
} from './kv-cache-manager.js';
export type {
  KvCacheRegion,
  KvConnector,
  KvConnectorEvent,
  KvConnectorMatch,
  KvConnectorMeta,
  KvConnectorScheduler,
  KvConnectorWorker,
  KvFinished,
  KvHandshakeMetadata,
  KvRequestFinished,
  KvSaveSpec,
} from './kv-connector.js';
export { KvConnectorBridge } from './kv-connector-bridge.js';
export { KvCacheFullError } from './kv-connector-errors.js';
export type { AllBlocksCleared, BlockRemoved, BlockStored, KvCacheEvent } from './kv-events.js';
export { LLM, type LlmOptions, type LlmTokenizer, type PromptInput } from './llm.js';
export { applyLogitsProcessors } from './logits-processors.js';
export { createModelEngine, type ModelEngine, type ModelEngineOptions } from './model-engine.js';
export type { ModelExecutor, ModelInput } from './model-executor.js';
export { type BuiltModelInput, type LogitsRowMap, ModelInputBuilder } from './model-input-builder.js';
export { OutputProcessor, type ProcessedOutputs } from './output-processor.js';
export { Request, type RequestDecodeState, type RequestInit } from './request.js';
export type { CompletionOutput, RequestOutput } from './request-output.js';
export {
  comparePriority,
  createRequestQueue,
  FcfsRequestQueue,
  PriorityRequestQueue,
  type RequestQueue,
  type SchedulingPolicy,
} from './request-queue.js';
export {
  type FinishedStatus,
  type FinishReason,
  finishReasonOf,
  isFinishedStatus,
  RequestStatus,
} from './request-status.js';
export { type SampledToken, type SampleItem, Sampler } from './sampler.js';
export type { SamplingKernel, SamplingKernelInput, SamplingKernelOutput } from './sampling-kernel.js';
export { type RequestOutputKind, SamplingParams, type SamplingParamsInit } from './sampling-params.js';
export { Scheduler, type SchedulerConfig } from './scheduler.js';
export type { ScheduledRequest, SchedulerOutput } from './scheduler-output.js';
export type { KvSlotUsage, StepMetrics } from './step-metrics.js';
export { computeTokenLogprobs } from './token-logprobs.js';
export { argmax, selectTopK, sortByValue } from './top-k-selection.js';
export { Xoshiro128, type Xoshiro128State } from './xoshiro128.js';
