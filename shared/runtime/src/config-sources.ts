import { readFileSync } from 'node:fs';
import { type ConfigField, ConfigValueError, parseFieldText } from './config-fields.js';

/** A config layer: values by field key, and where each came from (for error messages). */
export interface ConfigLayer {
  values: Map<string, unknown>;
  origin: Map<string, string>;
}

/** One problem found while reading a source. */
export type ConfigProblem = string;

const CONFIG_FLAG = '--config';

function emptyLayer(): ConfigLayer {
  return { values: new Map(), origin: new Map() };
}

function setText(
  layer: ConfigLayer,
  problems: ConfigProblem[],
  field: ConfigField,
  text: string,
  origin: string,
) {
  try {
    layer.values.set(field.key, parseFieldText(field, text));
    layer.origin.set(field.key, origin);
  } catch (err) {
    if (!(err instanceof ConfigValueError)) throw err;
    problems.push(`${field.key} (from ${origin}): ${err.message}`);
  }
}

/** Walks a parsed JSON file into field values; unknown keys are problems. */
function walkFile(
  node: unknown,
  prefix: string[],
  fields: Map<string, ConfigField>,
  layer: ConfigLayer,
  file: string,
  problems: ConfigProblem[],
) {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    problems.push(`${prefix.join('.') || '(top level)'} (from file ${file}): expected an object`);
    return;
  }
  const known = [...fields.keys()];
  for (const [name, value] of Object.entries(node)) {
    const key = [...prefix, name].join('.');
    if (fields.has(key)) {
      layer.values.set(key, value);
      layer.origin.set(key, `file ${file}`);
    } else if (known.some((k) => k.startsWith(`${key}.`))) {
      walkFile(value, [...prefix, name], fields, layer, file, problems);
    } else {
      problems.push(`${key} (from file ${file}): unknown setting`);
    }
  }
}

/** The JSON config file's values. */
export function readFileLayer(file: string, fields: ConfigField[], problems: ConfigProblem[]): ConfigLayer {
  const layer = emptyLayer();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`config file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return layer;
  }
  walkFile(parsed, [], new Map(fields.map((f) => [f.key, f])), layer, file, problems);
  return layer;
}

/** The PDSERVE_* environment variables' values (variables that name no field are ignored). */
export function readEnvLayer(
  env: Record<string, string | undefined>,
  fields: ConfigField[],
  problems: ConfigProblem[],
): ConfigLayer {
  const layer = emptyLayer();
  for (const field of fields) {
    const text = env[field.env];
    if (text !== undefined) setText(layer, problems, field, text, `env ${field.env}`);
  }
  return layer;
}

type FlagRead =
  | { kind: 'value'; field: ConfigField | 'config'; name: string; text: string; next: number }
  | { kind: 'problem'; problem: string; next: number };

/** Reads the flag at argv[i] (and its value, if it is the next argument). */
function readFlag(argv: readonly string[], i: number, byFlag: Map<string, ConfigField>): FlagRead {
  const arg = argv[i];
  if (!arg.startsWith('--'))
    return { kind: 'problem', problem: `unexpected argument ${JSON.stringify(arg)}`, next: i + 1 };
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  const negated = name.startsWith('--no-') ? byFlag.get(`--${name.slice(5)}`) : undefined;
  if (eq < 0 && negated?.kind === 'boolean')
    return { kind: 'value', field: negated, name, text: 'false', next: i + 1 };
  const field = name === CONFIG_FLAG ? 'config' : byFlag.get(name);
  if (field === undefined) return { kind: 'problem', problem: `unknown flag ${name}`, next: i + 1 };
  if (eq >= 0) return { kind: 'value', field, name, text: arg.slice(eq + 1), next: i + 1 };
  const following = argv[i + 1];
  const hasValue = following !== undefined && !following.startsWith('--');
  if (field !== 'config' && field.kind === 'boolean' && !hasValue) {
    return { kind: 'value', field, name, text: 'true', next: i + 1 };
  }
  if (!hasValue) return { kind: 'problem', problem: `flag ${name} needs a value`, next: i + 1 };
  return { kind: 'value', field, name, text: following, next: i + 2 };
}

/**
 * The flags' values: `--a.b-c=v`, `--a.b-c v`, and for booleans also `--flag` / `--no-flag`; plus
 * the `--config` file. Unknown flags and stray arguments are problems.
 */
export function readFlagLayer(argv: readonly string[], fields: ConfigField[], problems: ConfigProblem[]) {
  const layer = emptyLayer();
  const byFlag = new Map(fields.map((f) => [f.flag, f]));
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; ) {
    const read = readFlag(argv, i, byFlag);
    i = read.next;
    if (read.kind === 'problem') problems.push(read.problem);
    else if (read.field === 'config') configFile = read.text;
    else setText(layer, problems, read.field, read.text, `flag ${read.name}`);
  }
  return { layer, configFile };
}
