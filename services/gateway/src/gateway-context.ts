import type { ServiceError } from '@pdserve/protocol';
import type { Context } from 'hono';
import { openAiErrorBody } from './error-response.js';
import type { GatewayEnv } from './gateway-env.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { DEFAULT_MAX_BODY_BYTES, type GatewayOptions } from './gateway-options.js';
import { InstrumentedBackend } from './instrumented-backend.js';
import { readJsonBody } from './read-json-body.js';
import type { GenerationCall } from './serve-generation.js';
import type { ServingBackend } from './serving-backend.js';
import { toServiceError } from './to-service-error.js';

/** What the routes share: the backend, limits, counters and the error log. Built once per app. */
export class GatewayContext {
  readonly backend: ServingBackend;
  readonly maxBodyBytes: number;
  readonly metrics = new GatewayMetrics();
  private readonly logError: (error: Error, requestId: string) => void;

  constructor(readonly options: GatewayOptions) {
    this.backend = options.telemetry
      ? new InstrumentedBackend(options.backend, options.telemetry)
      : options.backend;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.logError =
      options.logError ??
      ((error, requestId) => {
        const cause = error.cause instanceof Error ? error.cause : error;
        process.stderr.write(`gateway: request ${requestId} failed: ${cause.stack ?? cause.message}\n`);
      });
  }

  /** The request's JSON body, within the body limit. */
  readBody(c: Context<GatewayEnv>): Promise<unknown> {
    return readJsonBody(c.req.raw, this.maxBodyBytes);
  }

  /** Logs an internal error of a request (its cause stays out of responses). */
  reportInternal(error: ServiceError, requestId: string): void {
    this.logError(error, requestId);
  }

  /** How a generation route reaches the backend and reports failures mid-stream. */
  generationCall(c: Context<GatewayEnv>): GenerationCall {
    const requestId = c.get('requestId');
    return {
      backend: this.backend,
      clientSignal: c.req.raw.signal,
      headers: { 'x-request-id': requestId },
      errorEvent: (error) => {
        const se = toServiceError(error);
        if (se.code === 'internal') this.reportInternal(se, requestId);
        return openAiErrorBody(se);
      },
    };
  }
}
