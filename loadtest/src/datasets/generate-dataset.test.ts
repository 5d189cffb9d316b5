import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDataset } from './generate-dataset.js';
import { PromptBuilder } from './prompt-builder.js';

const words = (s: string) => s.split(' ').length;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const builder = new PromptBuilder(1);

test('random: lengths uniform within the range ratio, prompts of that many words', () => {
  const reqs = generateDataset(
    { kind: 'random', inputLen: 200, outputLen: 50, rangeRatio: 0.5 },
    4000,
    1,
    builder,
  );
  const ins = reqs.map((r) => r.promptLen);
  const outs = reqs.map((r) => r.outputLen);
  assert.equal(Math.min(...ins), 100);
  assert.equal(Math.max(...ins), 300);
  assert.ok(Math.min(...outs) >= 25 && Math.max(...outs) <= 75);
  assert.ok(Math.abs(mean(ins) - 200) < 4, `mean input ${mean(ins)}`);
  assert.ok(Math.abs(mean(outs) - 50) < 1.5, `mean output ${mean(outs)}`);
  for (const r of reqs.slice(0, 50)) assert.equal(words(r.prompt), r.promptLen);
});

test('random with range ratio 0: exact lengths; same seed gives the same prompts', () => {
  const c = { kind: 'random', inputLen: 32, outputLen: 8, rangeRatio: 0 } as const;
  const a = generateDataset(c, 20, 5, builder);
  assert.ok(a.every((r) => r.promptLen === 32 && r.outputLen === 8 && words(r.prompt) === 32));
  assert.deepEqual(a, generateDataset(c, 20, 5, builder));
  assert.notDeepEqual(a, generateDataset(c, 20, 6, builder));
  assert.equal(new Set(a.map((r) => r.prompt)).size, 20, 'prompts differ (no accidental prefix sharing)');
});

test('tokens per word scales the number of words', () => {
  const reqs = generateDataset(
    { kind: 'random', inputLen: 300, outputLen: 8, rangeRatio: 0 },
    3,
    0,
    new PromptBuilder(2.5),
  );
  assert.ok(reqs.every((r) => words(r.prompt) === 120));
});

test('prefix: every request starts with its group prefix; groups differ', () => {
  const c = {
    kind: 'prefix',
    prefixLen: 64,
    numPrefixes: 3,
    inputLen: 16,
    outputLen: 4,
    rangeRatio: 0,
  } as const;
  const reqs = generateDataset(c, 300, 2, builder);
  const prefixOf = new Map<string, string>();
  for (const r of reqs) {
    assert.match(r.tag, /^prefix-[0-2]$/);
    assert.equal(r.promptLen, 80);
    assert.equal(words(r.prompt), 80);
    const p = r.prompt.split(' ').slice(0, 64).join(' ');
    assert.equal(prefixOf.get(r.tag) ?? p, p, 'same prefix within a group');
    prefixOf.set(r.tag, p);
  }
  assert.equal(prefixOf.size, 3);
  assert.equal(new Set(prefixOf.values()).size, 3);
});

test('mixed: the long fraction and both length classes', () => {
  const c = {
    kind: 'mixed',
    longFraction: 0.25,
    longInputLen: 1000,
    longOutputLen: 10,
    chatInputLen: 50,
    chatOutputLen: 100,
    rangeRatio: 0,
  } as const;
  const reqs = generateDataset(c, 4000, 3, builder);
  const long = reqs.filter((r) => r.tag === 'long');
  assert.ok(Math.abs(long.length / 4000 - 0.25) < 0.03, `long share ${long.length / 4000}`);
  assert.ok(long.every((r) => r.promptLen === 1000 && r.outputLen === 10));
  assert.ok(reqs.filter((r) => r.tag === 'chat').every((r) => r.promptLen === 50 && r.outputLen === 100));
});

test('sharegpt-like: log-normal lengths within the filter bounds, heavy right tail', () => {
  const c = {
    kind: 'sharegpt-like',
    inputMean: 161,
    inputSigma: 1.1,
    outputMean: 338,
    outputSigma: 0.9,
    maxTotalLen: 2048,
  } as const;
  const reqs = generateDataset(c, 6000, 4, builder);
  const ins = reqs.map((r) => r.promptLen).sort((a, b) => a - b);
  const outs = reqs.map((r) => r.outputLen).sort((a, b) => a - b);
  assert.ok(reqs.every((r) => r.promptLen >= 4 && r.promptLen <= 1024 && r.outputLen >= 4));
  assert.ok(reqs.every((r) => r.promptLen + r.outputLen <= 2048));
  // Median of a log-normal is mean * exp(-sigma^2 / 2): 88 and 225 (the filter trims the tail a little).
  const medIn = ins[3000];
  const medOut = outs[3000];
  assert.ok(medIn > 80 && medIn < 97, `median input ${medIn}`);
  assert.ok(medOut > 205 && medOut < 240, `median output ${medOut}`);
  assert.ok(mean(ins) > medIn * 1.3, 'mean well above the median (right-skewed)');
  assert.ok(mean(ins) > 130 && mean(ins) < 175, `mean input ${mean(ins)}`);
});
