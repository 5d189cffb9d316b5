import type { GatewayTelemetry } from './gateway-telemetry.js';
import type { RateLimitOptions } from './rate-limiter.js';
import type { ServingBackend } from './serving-backend.js';

/** Default body limit: 4 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** How createGatewayApp builds the app; only `backend` is required. */
export interface GatewayOptions {
  /** Where requests are served: LocalBackend in this process, or the NATS-backed cluster. */
  backend: ServingBackend;
  /** Accepted API keys (Authorization: Bearer KEY); none: no authentication. /health and /metrics are open. */
  apiKeys?: readonly string[];
  /** Largest request body in bytes (default 4 MiB); larger is a 413. */
  maxBodyBytes?: number;
  /** Per-API-key token bucket (one shared bucket without keys); absent: no limit. */
  rateLimit?: RateLimitOptions;
  /** Prometheus text for /metrics; default: the gateway's own request counters. */
  metrics?: () => string | Promise<string>;
  /** Reported by /version (default: this package's version). */
  version?: string;
  /** Sees the cause of every 500 (clients get no detail); default: one line on stderr. */
  logError?: (error: Error, requestId: string) => void;
  /** Milliseconds clock for the rate limiter (tests pass a fake one). */
  clock?: () => number;
  /** Traces, request metrics (vLLM's names, on /metrics) and the /dashboard status page; absent: none. */
  telemetry?: GatewayTelemetry;
}
