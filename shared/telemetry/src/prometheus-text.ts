/** A line of Prometheus text that does not parse; the message names the line. */
export class PrometheusParseError extends Error {
  override readonly name = 'PrometheusParseError';
}

/** One sample: its series name (e.g. `x_bucket`), labels and value. */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its TYPE, HELP and samples. */
export interface PrometheusFamily {
  name: string;
  type: string;
  help: string;
  samples: PrometheusSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+(-?\\d+))?$`);
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created'];

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new PrometheusParseError(`bad value in: ${line}`);
  return value;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.trim() !== '') {
    const m = LABEL.exec(rest);
    if (m === null) throw new PrometheusParseError(`bad labels in: ${line}`);
    if (m[1] in labels) throw new PrometheusParseError(`repeated label ${m[1]} in: ${line}`);
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    rest = rest.slice(m[0].length);
  }
  return labels;
}

function familyOf(families: Map<string, PrometheusFamily>, sample: string): PrometheusFamily {
  const direct = families.get(sample);
  if (direct !== undefined) return direct;
  for (const suffix of SUFFIXES) {
    const base = sample.endsWith(suffix) ? families.get(sample.slice(0, -suffix.length)) : undefined;
    if (base !== undefined) return base;
  }
  const untyped = { name: sample, type: 'untyped', help: '', samples: [] };
  families.set(sample, untyped);
  return untyped;
}

function parseComment(families: Map<string, PrometheusFamily>, line: string): void {
  const m = new RegExp(`^#\\s+(HELP|TYPE)\\s+(${NAME})(?:\\s(.*))?$`).exec(line);
  if (m === null) return; // other comments are allowed
  const family = families.get(m[2]) ?? { name: m[2], type: 'untyped', help: '', samples: [] };
  families.set(m[2], family);
  if (m[1] === 'HELP') family.help = m[3] ?? '';
  else if (!TYPES.has(m[3] ?? '')) throw new PrometheusParseError(`unknown type in: ${line}`);
  else family.type = m[3] as string;
}

/**
 * Parses Prometheus text exposition format (0.0.4): HELP and TYPE comments and samples with
 * labels. Throws PrometheusParseError on the first malformed line. Families are keyed by name;
 * `_bucket`/`_count`/`_sum`/`_total` samples belong to the family they extend.
 */
export function parsePrometheusText(text: string): Map<string, PrometheusFamily> {
  const families = new Map<string, PrometheusFamily>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      parseComment(families, line);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (m === null) throw new PrometheusParseError(`bad sample line: ${line}`);
    const sample = { name: m[1], labels: parseLabels(m[2] ?? '', line), value: parseValue(m[3], line) };
    familyOf(families, m[1]).samples.push(sample);
  }
  return families;
}

/** The sum of the samples named `name` whose labels include `match`. */
export function sumSamples(
  families: Map<string, PrometheusFamily>,
  name: string,
  match: Record<string, string> = {},
): number {
  let total = 0;
  for (const family of families.values())
    for (const s of family.samples)
      if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  return total;
}

/**
 * Checks every histogram: per label set, buckets are cumulative (non-decreasing in `le`) and the
 * `+Inf` bucket equals `_count`. Throws PrometheusParseError naming the first that is not.
 */
export function checkHistograms(families: Map<string, PrometheusFamily>): void {
  for (const f of families.values()) {
    if (f.type !== 'histogram') continue;
    const series = new Map<string, { le: number; value: number }[]>();
    const counts = new Map<string, number>();
    for (const s of f.samples) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      if (s.name === `${f.name}_count`) counts.set(key, s.value);
      if (s.name !== `${f.name}_bucket`) continue;
      if (le === undefined) throw new PrometheusParseError(`${f.name}: a bucket without le`);
      series.set(key, [...(series.get(key) ?? []), { le: parseValue(le, le), value: s.value }]);
    }
    for (const [key, buckets] of series) {
      buckets.sort((a, b) => a.le - b.le);
      for (let i = 1; i < buckets.length; i++)
        if (buckets[i].value < buckets[i - 1].value)
          throw new PrometheusParseError(`${f.name}${key}: buckets are not cumulative`);
      const inf = buckets.at(-1);
      if (inf?.le !== Number.POSITIVE_INFINITY || inf.value !== counts.get(key))
        throw new PrometheusParseError(`${f.name}${key}: +Inf bucket differs from _count`);
    }
  }
}
