import { ServiceError } from '@pdserve/protocol';
import type { z } from 'zod';

/**
 * Validates a parsed JSON body against a schema. Unknown fields are dropped (as OpenAI ignores
 * them); the first problem becomes a 400 ServiceError naming the field as OpenAI's `param`
 * (`messages[0].content`).
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ServiceError('invalid_request', 'the request body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = pickIssue(result.error.issues);
  const param = formatPath(issue.path);
  const message = param === '' ? issue.message : `${param}: ${issue.message}`;
  throw new ServiceError('invalid_request', message, param === '' ? {} : { param });
}

interface Picked {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * A union's issue says only "Invalid input". When a branch got past the top level (its issues
 * lie deeper), the issue of the branch that got furthest is the useful one; when none did, list
 * what was expected.
 */
function pickIssue(issues: readonly z.core.$ZodIssue[]): Picked {
  const first = issues[0];
  if (first.code !== 'invalid_union' || first.errors.length === 0) return first;
  // The branch that got deepest, and of those the one with the fewest problems.
  const better = (a: z.core.$ZodIssue[], b: z.core.$ZodIssue[]) =>
    deepest(b) > deepest(a) || (deepest(b) === deepest(a) && b.length < a.length);
  const branch = first.errors.reduce((a, b) => (better(a, b) ? b : a));
  if (deepest(branch) > 0) {
    const inner = pickIssue(branch.filter((i) => i.path.length === deepest(branch)));
    return { path: [...first.path, ...inner.path], message: inner.message };
  }
  const expected = first.errors.flatMap((b) => b.map((i) => (i.code === 'invalid_type' ? i.expected : null)));
  if (expected.some((e) => e === null)) return first;
  return { path: first.path, message: `Invalid input: expected ${[...new Set(expected)].join(' or ')}` };
}

function deepest(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}
