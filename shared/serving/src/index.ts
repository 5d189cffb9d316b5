export { EarlyCancels } from './early-cancels.js';
export { engineErrorToServiceError } from './engine-error-mapping.js';
export { createEngineKvConnector } from './engine-kv-connector.js';
export { EngineService } from './engine-service.js';
export {
  type EngineServiceConfig,
  engineServiceConfig,
  engineServiceSchema,
} from './engine-service-config.js';
export type { EngineKvConnectorOptions, EngineServiceOptions } from './engine-service-options.js';
export { type InstanceIdentity, instanceInfoOf } from './instance-info-of.js';
export { KvEventPublisher, type KvEventPublisherOptions } from './kv-event-publisher.js';
export { type EngineLoadSource, LoadTracker } from './load-tracker.js';
export { outputBatches } from './output-batches.js';
export { PrefillSink } from './prefill-sink.js';
export { announceReady, READY_PREFIX } from './ready-line.js';
export { RequestRunner, type RequestRunnerOptions, type RunnerRequest } from './request-runner.js';
export { runEngineMain } from './run-engine-main.js';
export { checkSubmit } from './submit-checks.js';
export { wireSampling } from './wire-sampling.js';
