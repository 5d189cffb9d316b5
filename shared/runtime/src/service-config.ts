import type { z } from 'zod';
import { type ConfigField, configFields } from './config-fields.js';
import {
  type ConfigLayer,
  type ConfigProblem,
  readEnvLayer,
  readFileLayer,
  readFlagLayer,
} from './config-sources.js';

/** A service's configuration is wrong; the message lists every problem and where the value came from. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(service: string, problems: readonly string[]) {
    super(`invalid configuration for ${service}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Where load() reads from; each defaults to this process's. */
export interface ConfigSources {
  /** Flags (default process.argv.slice(2)). `--config FILE` names the JSON file. */
  argv?: readonly string[];
  /** Environment (default process.env); PDSERVE_CONFIG names the JSON file. */
  env?: Record<string, string | undefined>;
  /** The JSON file, overriding --config and PDSERVE_CONFIG. */
  configFile?: string;
}

/** Loads and describes one service's configuration. */
export interface ServiceConfigLoader<T> {
  /** Every setting with its env var and flag names. */
  readonly fields: readonly ConfigField[];
  /**
   * The validated config: schema defaults < JSON file < PDSERVE_* env < flags. Throws ConfigError
   * listing every problem (unknown flag or file key, unparsable or invalid value, with its source).
   */
  load(sources?: ConfigSources): T;
  /** One line per setting: flag, env var, default, description (for --help). */
  help(): string;
}

/** The object at `path` under `target`, creating empty objects on the way. */
function section(target: Record<string, unknown>, path: string[]): Record<string, unknown> {
  let node = target;
  for (const part of path) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  return node;
}

function merge(fields: readonly ConfigField[], layers: ConfigLayer[]) {
  const raw: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  // Nested sections always exist, so their fields' defaults apply when no source mentions them.
  for (const field of fields) section(raw, field.path.slice(0, -1));
  for (const layer of layers) {
    for (const field of fields) {
      if (!layer.values.has(field.key)) continue;
      section(raw, field.path.slice(0, -1))[field.path[field.path.length - 1]] = layer.values.get(field.key);
      origin.set(field.key, layer.origin.get(field.key) ?? '?');
    }
  }
  return { raw, origin };
}

function describeIssue(issue: z.core.$ZodIssue, origin: Map<string, string>): string {
  const key = issue.path.map(String).join('.');
  const from = [...origin.entries()].find(([k]) => key === k || key.startsWith(`${k}.`))?.[1];
  return `${key || '(config)'} (${from === undefined ? 'default or unset' : `from ${from}`}): ${issue.message}`;
}

/**
 * The configuration loader of one service (its main calls load() first thing and exits with the
 * ConfigError's message when it throws). `schema` is the one typed source of truth: defaults via
 * `.default()`, help via `.describe()`; nested objects are sections that always exist and become
 * dotted keys, e.g. `nats.servers` is env PDSERVE_NATS_SERVERS and flag --nats.servers (arrays
 * comma-separated in env and flags).
 */
export function defineServiceConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
): ServiceConfigLoader<z.output<S>> {
  const fields = configFields(schema);
  return {
    fields,
    load(sources: ConfigSources = {}): z.output<S> {
      const env = sources.env ?? process.env;
      const problems: ConfigProblem[] = [];
      const flags = readFlagLayer(sources.argv ?? process.argv.slice(2), fields, problems);
      const configFile = sources.configFile ?? flags.configFile ?? env.PDSERVE_CONFIG;
      const layers = [
        ...(configFile === undefined ? [] : [readFileLayer(configFile, fields, problems)]),
        readEnvLayer(env, fields, problems),
        flags.layer,
      ];
      const { raw, origin } = merge(fields, layers);
      const parsed = schema.safeParse(raw);
      if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => describeIssue(issue, origin)));
      if (problems.length > 0 || !parsed.success) throw new ConfigError(service, problems);
      return parsed.data;
    },
    help(): string {
      return fields
        .map((f) => {
          const dflt = f.defaultValue === undefined ? '' : ` (default ${JSON.stringify(f.defaultValue)})`;
          return `  ${f.flag}  [${f.env}]${dflt}${f.description === undefined ? '' : `  ${f.description}`}`;
        })
        .join('\n');
    },
  };
}
