import { readFileSync } from 'node:fs';
import { DEFAULT_MODEL } from './service-paths.js';

/** What `pdserve serve` starts: the topology, the model and where the endpoint listens. */
export interface ServeConfig {
  /** Model file or directory (default: models/stories260K). */
  model: string;
  /** llama2.c tokenizer .bin (default: beside the model). */
  tokenizer?: string;
  servedModelName?: string;
  /** Prefill instances; 0: colocated instances only (the decode instances run role 'both'). */
  prefill: number;
  /** Decode instances (at least 1). */
  decode: number;
  /** Gateway HTTP port (0: any free port) and address. */
  port: number;
  host: string;
  apiKeys: string[];
  /** NATS port (0: any free port) and address (default loopback). */
  natsPort: number;
  natsHost: string;
  /** Engine settings passed to every instance. */
  numBlocks?: number;
  maxModelLen?: number;
  /** Instances' heartbeat interval (ms). */
  heartbeatMs?: number;
  /** The router's policy: heuristic (default), slo or round-robin. */
  policy?: 'heuristic' | 'slo' | 'round-robin';
  /** Show every log line (NATS info lines too). */
  verbose: boolean;
  /** First /metrics port of the router, engines and agent (one each, in start order); 0: any free ports. */
  metricsPort: number;
}

/** A bad serve setting (flag or config file); the message names it. */
export class ServeConfigError extends Error {
  override readonly name = 'ServeConfigError';
}

export const SERVE_DEFAULTS: ServeConfig = {
  model: DEFAULT_MODEL,
  prefill: 1,
  decode: 1,
  port: 8000,
  host: '127.0.0.1',
  apiKeys: [],
  natsPort: 0,
  natsHost: '127.0.0.1',
  verbose: false,
  metricsPort: 0,
};

type Check = (value: unknown) => boolean;
const isInt =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isText: Check = (v) => typeof v === 'string' && v.length > 0;

const FILE_KEYS: Record<keyof ServeConfig, Check> = {
  model: isText,
  tokenizer: isText,
  servedModelName: isText,
  prefill: isInt(0, 64),
  decode: isInt(1, 64),
  port: isInt(0, 65535),
  host: isText,
  apiKeys: (v) => Array.isArray(v) && v.every(isText),
  natsPort: isInt(0, 65535),
  natsHost: isText,
  numBlocks: isInt(1),
  maxModelLen: isInt(1),
  heartbeatMs: isInt(10),
  policy: (v) => v === 'heuristic' || v === 'slo' || v === 'round-robin',
  verbose: (v) => typeof v === 'boolean',
  metricsPort: isInt(0, 65535),
};

/**
 * The settings in a JSON config file (`--config FILE`): the ServeConfig keys, checked one by one;
 * `apiKey` (a string) is accepted for `apiKeys`. Flags override what the file sets.
 */
export function readServeConfigFile(file: string): Partial<ServeConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ServeConfigError(
      `config file ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ServeConfigError(`config file ${file}: expected a JSON object`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = key === 'apiKey' ? 'apiKeys' : key;
    const check = FILE_KEYS[name as keyof ServeConfig];
    const v = key === 'apiKey' && typeof value === 'string' ? [value] : value;
    if (check === undefined) throw new ServeConfigError(`config file ${file}: unknown setting ${key}`);
    if (!check(v))
      throw new ServeConfigError(`config file ${file}: invalid ${key}: ${JSON.stringify(value)}`);
    out[name] = v;
  }
  return out as Partial<ServeConfig>;
}
