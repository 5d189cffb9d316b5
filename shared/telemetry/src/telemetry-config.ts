import { z } from 'zod';

/**
 * The observability settings every service takes, to spread into its config schema: flags
 * `--metrics-port`, `--metrics-host`, `--otlp-endpoint`, `--log-prompts` (variables
 * PDSERVE_METRICS_PORT, ...). The gateway serves /metrics on its own port and ignores metricsPort.
 */
export const telemetryConfigShape = {
  metricsPort: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe('serve Prometheus /metrics on this port (0: any free port; unset: off)'),
  metricsHost: z.string().min(1).default('127.0.0.1').describe('address of the /metrics listener'),
  otlpEndpoint: z
    .string()
    .url()
    .optional()
    .describe('OTLP/HTTP endpoint for traces (default: $OTEL_EXPORTER_OTLP_ENDPOINT; none: no export)'),
  logPrompts: z.boolean().default(false).describe('write prompt text into logs'),
};

/** The observability settings once validated. */
export interface TelemetryConfig {
  metricsPort?: number | undefined;
  metricsHost: string;
  otlpEndpoint?: string | undefined;
  logPrompts: boolean;
}
