import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rmsnorm } from './ops.js';

test('many concurrent native calls share the thread pool and each gets its own right answer', async () => {
  const dim = 4096;
  const rows = 8;
  const weight = new Float32Array(dim).fill(1);
  const inputs = Array.from({ length: 64 }, (_, i) => new Float32Array(rows * dim).fill(i + 1));
  const outputs = await Promise.all(inputs.map((x) => rmsnorm(x, weight, rows, dim, 0)));
  // rmsnorm of a constant row is 1 everywhere, whatever the constant: a mixed-up job would show.
  for (const out of outputs) for (const v of out) assert.ok(Math.abs(v - 1) < 1e-5, `got ${v}`);
  const scaled = await Promise.all(
    inputs.map((x, i) =>
      rmsnorm(
        x,
        weight.map(() => i),
        rows,
        dim,
        0,
      ),
    ),
  );
  scaled.forEach((out, i) => {
    for (const v of out) assert.ok(Math.abs(v - i) < 1e-4 * (i + 1), `call ${i}: got ${v}`);
  });
});
