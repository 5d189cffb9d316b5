import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const addonPath = join(here, '..', 'build', 'Release', 'pdserve_native.node');

let cached: unknown;

/**
 * Loads the compiled addon once. Each lib/*.ts file casts the result to the functions it
 * binds, so adding a binding never touches a shared declaration.
 */
export function loadAddon<T>(): T {
  if (cached === undefined) {
    if (!existsSync(addonPath)) {
      throw new Error(`pdserve native addon not built: ${addonPath} is missing (run "npm run build:native")`);
    }
    cached = createRequire(import.meta.url)(addonPath);
  }
  return cached as T;
}
