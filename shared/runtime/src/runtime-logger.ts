/**
 * Where the runtime reports what happens in the background (a failed heartbeat, a message that
 * did not decode, a reconnect). pino's logger fits as is; services pass theirs, tests may pass
 * silentLogger.
 */
export interface RuntimeLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

function line(level: string, fields: object, message: string): string {
  return `${new Date().toISOString()} ${level} ${message} ${JSON.stringify(fields, (_k, v) => (v instanceof Error ? v.message : v))}`;
}

/** Writes warnings and errors to stderr (info and debug are dropped): the default. */
export const consoleLogger: RuntimeLogger = {
  debug: () => {},
  info: () => {},
  warn: (fields, message) => console.warn(line('WARN', fields, message)),
  error: (fields, message) => console.error(line('ERROR', fields, message)),
};

/** Drops everything. */
export const silentLogger: RuntimeLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
