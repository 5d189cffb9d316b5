// Test helper: re-runs a test file in child processes with PDSERVE_ISA forced to each ISA
// below the native one, so every kernel path is checked against the same references.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cpuInfo } from '../cpu.js';

const ORDER = ['portable', 'avx2', 'avx512'] as const;

/** The ISA this process is forced to, or undefined in the parent run. */
export const forcedIsa = process.env.PDSERVE_ISA;

/** In the parent run, registers one test per lower ISA that runs fileUrl's tests under it. */
export function testLowerIsas(fileUrl: string): void {
  if (forcedIsa !== undefined) return;
  const native = ORDER.indexOf(cpuInfo().isa);
  for (const isa of ORDER.slice(0, native)) {
    test(`the same tests pass with PDSERVE_ISA=${isa}`, () => {
      // Without NODE_TEST_CONTEXT the child is a test run of its own whose exit status reports
      // its failures (inheriting it makes the child report to us and always exit 0).
      const { NODE_TEST_CONTEXT: _, ...env } = process.env;
      const r = spawnSync(process.execPath, ['--test', '--test-reporter=dot', fileURLToPath(fileUrl)], {
        env: { ...env, PDSERVE_ISA: isa },
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(r.status, 0, `child under ${isa} failed:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /\S/, `child under ${isa} ran no test`);
    });
  }
}
