import type { RuntimeLogger } from '@pdserve/runtime';

type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function render(fields: object): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text =
      value instanceof Error ? value.message : typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(`${key}=${text}`);
  }
  return parts.join(' ');
}

/**
 * A service's log: one line per event on stderr, `LEVEL message key=value...`, from `level` up
 * (default info). `pdserve serve` prefixes each child's lines with its name; services pass it to
 * the runtime (NatsClient, registries) as their RuntimeLogger.
 */
export function serviceLogger(
  level: Level = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
): RuntimeLogger {
  const at = (l: Level) => (fields: object, message: string) => {
    if (RANK[l] < RANK[level]) return;
    const rest = render(fields);
    write(`${l.toUpperCase()} ${message}${rest === '' ? '' : ` ${rest}`}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
