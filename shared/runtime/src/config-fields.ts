import type { z } from 'zod';

/** How a config value written as text (env, flag) is read. */
export type FieldKind = 'string' | 'number' | 'boolean' | 'array' | 'json';

/** One leaf of a service config schema and the names it goes by in each source. */
export interface ConfigField {
  /** Path in the config object, e.g. ['nats', 'servers']. */
  path: string[];
  /** 'nats.servers' */
  key: string;
  /** 'PDSERVE_NATS_SERVERS' */
  env: string;
  /** '--nats.servers' */
  flag: string;
  kind: FieldKind;
  /** For arrays: how each comma-separated element is read. */
  elementKind?: FieldKind;
  description?: string;
  /** The schema's default, for help. */
  defaultValue?: unknown;
}

type AnySchema = z.ZodType & { def: { type: string; innerType?: z.ZodType; element?: z.ZodType } };

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch']);

function unwrap(schema: AnySchema): { inner: AnySchema; description?: string; defaultValue?: unknown } {
  let inner = schema;
  let description = schema.description;
  let defaultValue: unknown;
  while (WRAPPERS.has(inner.def.type) && inner.def.innerType !== undefined) {
    if (inner.def.type === 'default')
      defaultValue = (inner.def as unknown as { defaultValue: unknown }).defaultValue;
    inner = inner.def.innerType as AnySchema;
    description ??= inner.description;
  }
  return { inner, description, defaultValue };
}

function kindOf(schema: AnySchema): FieldKind {
  switch (schema.def.type) {
    case 'string':
    case 'enum':
    case 'literal':
      return 'string';
    case 'number':
    case 'int':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'array';
    default:
      return 'json';
  }
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/** The leaves of an object schema (nested objects are walked; anything else is a leaf). */
export function configFields(schema: z.ZodObject, prefix: string[] = []): ConfigField[] {
  const fields: ConfigField[] = [];
  for (const [name, child] of Object.entries(schema.shape)) {
    const path = [...prefix, name];
    const { inner, description, defaultValue } = unwrap(child as AnySchema);
    if (inner.def.type === 'object') {
      fields.push(...configFields(inner as unknown as z.ZodObject, path));
      continue;
    }
    const kind = kindOf(inner);
    const element =
      kind === 'array' && inner.def.element
        ? kindOf(unwrap(inner.def.element as AnySchema).inner)
        : undefined;
    fields.push({
      path,
      key: path.join('.'),
      env: `PDSERVE_${path.map(snake).join('_')}`,
      flag: `--${path.map(kebab).join('.')}`,
      kind,
      ...(element === undefined ? {} : { elementKind: element }),
      ...(description === undefined ? {} : { description }),
      ...(defaultValue === undefined ? {} : { defaultValue }),
    });
  }
  return fields;
}

/** Why a text value does not fit its field's kind (thrown by parseFieldText). */
export class ConfigValueError extends Error {
  override readonly name = 'ConfigValueError';
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function parseScalar(kind: FieldKind, text: string): unknown {
  switch (kind) {
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n))
        throw new ConfigValueError(`expected a number, got ${JSON.stringify(text)}`);
      return n;
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      throw new ConfigValueError(`expected true or false, got ${JSON.stringify(text)}`);
    }
    case 'json':
      try {
        return JSON.parse(text);
      } catch (cause) {
        throw new ConfigValueError(`expected JSON, got ${JSON.stringify(text)}`, { cause });
      }
    default:
      return text;
  }
}

/** A value written as text (env var, flag) read as its field's kind; arrays are comma-separated. */
export function parseFieldText(field: ConfigField, text: string): unknown {
  if (field.kind !== 'array') return parseScalar(field.kind, text);
  if (text.trim() === '') return [];
  return text.split(',').map((part) => parseScalar(field.elementKind ?? 'string', part.trim()));
}
