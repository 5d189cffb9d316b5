import { hostname } from 'node:os';
import { context, ProxyTracerProvider, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { DestinationStream, Logger } from 'pino';
import { Registry } from 'prom-client';
import { createLogger, type LogLevel } from './create-logger.js';
import { SpanFanout } from './span-fanout.js';

/** How a process's telemetry is set up (mains fill it from their config). */
export interface ServiceTelemetryOptions {
  /** 'gateway', 'router', 'prefill', 'decode', 'both' or 'kv-connector'. */
  service: string;
  instanceId: string;
  logLevel?: LogLevel;
  /** OTLP/HTTP base URL for traces; default $OTEL_EXPORTER_OTLP_ENDPOINT; neither: no export. */
  otlpEndpoint?: string;
  /** Include prompt text in logs (default false). */
  logPrompts?: boolean;
  /** Read for OTEL_* variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where log lines go (default stderr). */
  logDestination?: DestinationStream;
  /** More span processors (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

/** The OTLP traces URL: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else `${base}/v1/traces`; undefined: no export. */
export function otlpTracesUrl(endpoint: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const full = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (full !== undefined && full !== '') return full;
  const base = endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (base === undefined || base === '') return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * One process's telemetry, made by its main and handed to the services it runs: the JSON logger,
 * a tracer (its spans go to OTLP/HTTP when an endpoint is configured, and to whatever processors
 * are added, e.g. the NATS span publisher; with neither, they go nowhere and nothing is sent),
 * and the Prometheus registry its /metrics serves. `disabled()` gives tests a silent, no-op one.
 * shutdown() flushes the spans still buffered (mains call it before exiting).
 */
export class ServiceTelemetry {
  readonly service: string;
  readonly instanceId: string;
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly registry = new Registry();
  readonly logPrompts: boolean;
  /** Where traces are exported (undefined: not exported). */
  readonly otlpUrl: string | undefined;
  readonly #fanout: SpanFanout | null;
  readonly #provider: TracerProvider | null;

  private constructor(options: ServiceTelemetryOptions, tracing: boolean) {
    const env = options.env ?? process.env;
    this.service = options.service;
    this.instanceId = options.instanceId;
    this.logPrompts = options.logPrompts ?? false;
    this.registry.setDefaultLabels({ instance_id: options.instanceId });
    this.logger = createLogger({
      service: options.service,
      instanceId: options.instanceId,
      ...(options.logLevel === undefined ? {} : { level: options.logLevel }),
      ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
    });
    this.otlpUrl = tracing ? otlpTracesUrl(options.otlpEndpoint, env) : undefined;
    this.#fanout = tracing ? new SpanFanout() : null;
    for (const p of options.spanProcessors ?? []) this.#fanout?.add(p);
    if (this.otlpUrl !== undefined) this.#fanout?.add(batchExporter(this.otlpUrl, env));
    this.#provider = this.#fanout === null ? null : provider(options, this.#fanout);
    this.tracer = this.#provider?.getTracer('pdserve') ?? new ProxyTracerProvider().getTracer('pdserve');
  }

  /** A process's telemetry; also makes async context follow awaits (once per process). */
  static create(options: ServiceTelemetryOptions): ServiceTelemetry {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    return new ServiceTelemetry(options, true);
  }

  /** No spans, logs at warn and above only to `destination` (default: dropped); metrics still count. */
  static disabled(service = 'test', instanceId = 'test', destination?: DestinationStream): ServiceTelemetry {
    const sink: DestinationStream = destination ?? { write: () => {} };
    return new ServiceTelemetry({ service, instanceId, logLevel: 'warn', logDestination: sink }, false);
  }

  /** Whether spans are recorded at all. */
  get tracing(): boolean {
    return this.#provider !== null;
  }

  /** Adds a span processor (no-op when tracing is disabled). */
  addSpanProcessor(processor: SpanProcessor): void {
    this.#fanout?.add(processor);
  }

  /** Exports what is buffered now. */
  async flush(): Promise<void> {
    await this.#provider?.forceFlush().catch(() => {});
  }

  /** Flushes and stops every span processor. */
  async shutdown(): Promise<void> {
    await this.flush();
    await this.#provider?.shutdown().catch(() => {});
  }
}

function provider(options: ServiceTelemetryOptions, fanout: SpanFanout): TracerProvider {
  return new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': `pdserve-${options.service}`,
      'service.namespace': 'pdserve',
      'service.instance.id': options.instanceId,
      'host.name': hostname(),
    }),
    spanProcessors: [fanout],
  });
}

function batchExporter(url: string, env: NodeJS.ProcessEnv): SpanProcessor {
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  return new BatchSpanProcessor({
    exporter: new OTLPTraceExporter({ url }),
    scheduledDelayMillis: Number.isFinite(delay) && delay > 0 ? delay : 1000,
  });
}
