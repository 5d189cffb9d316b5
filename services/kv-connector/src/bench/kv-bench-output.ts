import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Writes a benchmark's JSON as bench/results/<name>-<timestamp>.json (the repo's results folder); returns the path. */
export function writeBenchResult(name: string, data: unknown): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
