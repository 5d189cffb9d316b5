import { type DestinationStream, type Logger, pino } from 'pino';

/** The levels pdserve's services log at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Who logs and where the lines go. */
export interface LoggerOptions {
  /** The service ('gateway', 'router', 'prefill', 'decode', 'both', 'kv-connector'). */
  service: string;
  /** The instance within the service (an engine's instance id, an agent id, a router's pid). */
  instanceId: string;
  /** Lowest level written (default info). */
  level?: LogLevel;
  /** Where JSON lines go (default: stderr, written synchronously). */
  destination?: DestinationStream;
}

/**
 * The one logger of every pdserve process: pino writing JSON lines with `level` (a name),
 * `time` (ISO 8601), `service`, `instance` and `msg`, plus the fields of each call (a request's
 * lines carry `requestId`, and `traceId` where a span exists). It fits the runtime's RuntimeLogger
 * (`logger.info(fields, message)`), so mains pass it to NatsClient, registries and services.
 * Errors under `err` are written with their type, message and stack.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, instance: options.instanceId },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
