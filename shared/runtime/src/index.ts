export { AsyncQueue } from './async-queue.js';
export { CancelBus } from './cancel-bus.js';
export { ClusterView, type ClusterViewOptions } from './cluster-view.js';
export type { ConfigField, FieldKind } from './config-fields.js';
export { type InstanceBucketOptions, openInstanceBucket } from './instance-bucket.js';
export { InstanceRegistry, type InstanceRegistryOptions } from './instance-registry.js';
export type { DeadReason, LiveInstance } from './instance-table.js';
export { ERROR_HEADER } from './message-headers.js';
export {
  type MessageMeta,
  NatsClient,
  type NatsClientOptions,
  type PublishOptions,
  type RequestOptions,
  type SubscribeOptions,
  type TypedSubscription,
} from './nats-client.js';
export { ReconnectBackoff, type ReconnectBackoffOptions } from './reconnect-backoff.js';
export { ReorderBuffer } from './reorder-buffer.js';
export { discoveryConfigSchema, natsConfigSchema } from './runtime-config.js';
export { consoleLogger, type RuntimeLogger, silentLogger } from './runtime-logger.js';
export {
  ConfigError,
  type ConfigSources,
  defineServiceConfig,
  type ServiceConfigLoader,
} from './service-config.js';
export {
  type TokenOutput,
  TokenStreamPublisher,
  type TokenStreamPublisherOptions,
} from './token-stream-publisher.js';
export { TokenStreamSubscriber, type TokenStreamSubscriberOptions } from './token-stream-subscriber.js';
