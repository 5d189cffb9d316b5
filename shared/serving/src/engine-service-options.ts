import type { ModelEngineOptions } from '@pdserve/engine';
import type { LoadedModel } from '@pdserve/model';
import type { InstanceRole } from '@pdserve/protocol';
import type { NatsClient, RuntimeLogger } from '@pdserve/runtime';
import type { ServiceTelemetry } from '@pdserve/telemetry';

/** The KV connector of an engine instance: its agent and timings (ms). */
export interface EngineKvConnectorOptions {
  agentId: string;
  leaseMs?: number;
  recvTimeoutMs?: number;
  sendTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** How an EngineService is built: the model, its role, identity, engine limits and timings. */
export interface EngineServiceOptions {
  /** The service's NATS connection (owned by the caller; stop() does not close it). */
  client: NatsClient;
  /** The loaded model (weights and tokenizer). */
  model: LoadedModel;
  /** The name requests use for this model. */
  servedModelName: string;
  role: InstanceRole;
  /** Unique among live instances (default `${role}-${host}-${pid}`). */
  instanceId?: string;
  /** Engine and runner settings (vLLM's names in camelCase); KV events are always on. */
  engine?: Omit<ModelEngineOptions, 'enableKvCacheEvents'>;
  /**
   * The kv-connector agent on this host that moves this instance's KV blocks (the `nats`
   * connector); absent: the instance takes no part in disaggregated requests.
   */
  kvConnector?: EngineKvConnectorOptions;
  /** Discovery timing: record re-put interval and bucket max_age (ms). */
  heartbeatMs?: number;
  ttlMs?: number;
  /** The discovery bucket (tests use their own). */
  bucket?: string;
  /** Token stream keepalive and replay linger (ms). */
  keepaliveMs?: number;
  lingerMs?: number;
  /** Debugging and tests: wait this long before every model step, so requests stay in flight. */
  stepDelayMs?: number;
  logger?: RuntimeLogger;
  /** Traces and metrics (spans per request, vLLM's engine metrics); absent: none. */
  telemetry?: ServiceTelemetry;
}
