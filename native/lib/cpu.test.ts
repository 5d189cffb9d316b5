import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuInfo } from './cpu.js';

test('cpuInfo reports an ISA consistent with the features and at least one thread', () => {
  const info = cpuInfo();
  assert.ok(info.threads >= 1);
  if (info.isa === 'avx512') assert.ok(info.features.avx512f && info.features.avx512bf16);
  if (info.isa === 'avx2') assert.ok(info.features.avx2 && info.features.fma);
});
