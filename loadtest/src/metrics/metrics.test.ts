import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BenchConfigError } from '../bench-config-error.js';
import { chunkTokenCounts } from './chunk-token-counts.js';
import { meetsTargets, parseGoodputTargets } from './goodput-targets.js';
import { latencyStats } from './latency-stats.js';
import { percentile } from './percentile.js';
import type { RequestResult } from './request-result.js';

test('percentile interpolates linearly between closest ranks', () => {
  const xs = [10, 20, 30, 40, 50];
  assert.equal(percentile(xs, 0), 10);
  assert.equal(percentile(xs, 50), 30);
  assert.equal(percentile(xs, 90), 46);
  assert.equal(percentile(xs, 99), 49.6);
  assert.equal(percentile(xs, 100), 50);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('latency stats: mean, median, std and keyed percentiles; zeros when empty', () => {
  const s = latencyStats([4, 1, 3, 2], [90, 99.9]);
  assert.deepEqual([s.count, s.mean, s.median], [4, 2.5, 2.5]);
  assert.ok(Math.abs(s.std - Math.sqrt(1.25)) < 1e-12);
  assert.deepEqual(Object.keys(s.percentiles), ['90', '99.9']);
  assert.ok(Math.abs(s.percentiles['90'] - 3.7) < 1e-12);
  assert.deepEqual(latencyStats([], [99]), {
    count: 0,
    mean: 0,
    median: 0,
    std: 0,
    percentiles: { '99': 0 },
  });
});

test('chunk token counts: exact from continuous usage, else by text share, at least one per event', () => {
  const c = (chars: number, tokens: number | null = null, events = 1) => ({ atMs: 0, chars, events, tokens });
  assert.deepEqual(chunkTokenCounts([c(3, 1), c(9, 3), c(6, 2)], 99), [1, 3, 2]);
  assert.deepEqual(chunkTokenCounts([c(4), c(4), c(4)], 3), [1, 1, 1]);
  assert.deepEqual(chunkTokenCounts([c(4), c(12), c(8)], 6), [1, 3, 2]);
  const counts = chunkTokenCounts([c(0), c(10), c(10)], 10);
  assert.equal(
    counts.reduce((s, v) => s + v, 0),
    10,
  );
  assert.ok(counts.every((v) => v >= 1));
  assert.deepEqual(chunkTokenCounts([c(5), c(5)], 1), [1, 1], 'fewer tokens than chunks: one each');
  assert.deepEqual(
    chunkTokenCounts([c(2, null, 3), c(30)], 4),
    [3, 1],
    'one per event even with little text',
  );
  assert.deepEqual(chunkTokenCounts([c(8, null, 2), c(8, null, 2)], 8), [4, 4]);
});

test('goodput targets parse any subset and refuse bad items', () => {
  assert.deepEqual(parseGoodputTargets(['ttft:500', 'tpot:50']), { ttftMs: 500, tpotMs: 50 });
  assert.deepEqual(parseGoodputTargets(['e2el:2000,ttft:1']), { e2elMs: 2000, ttftMs: 1 });
  for (const bad of ['ttft', 'ttft:', 'ttft:-1', 'itl:5', 'ttft:5:6', 'ttft:abc']) {
    assert.throws(() => parseGoodputTargets([bad]), BenchConfigError, bad);
  }
});

test('meetsTargets: every given target must hold; one-token outputs have no TPOT to miss', () => {
  const r = (over: Partial<RequestResult>): RequestResult => ({
    index: 0,
    tag: 't',
    outcome: 'ok',
    promptLen: 1,
    requestedOutputLen: 1,
    outputTokens: 2,
    outputTokensSource: 'usage',
    scheduledMs: 0,
    sentMs: 0,
    firstTokenMs: 100,
    endMs: 150,
    ttftMs: 100,
    e2eMs: 150,
    tpotMs: 50,
    itlsMs: [50],
    chunks: [
      { atMs: 100, tokens: 1 },
      { atMs: 150, tokens: 1 },
    ],
    ...over,
  });
  assert.equal(meetsTargets(r({}), { ttftMs: 100, tpotMs: 50, e2elMs: 150 }), true);
  assert.equal(meetsTargets(r({}), { ttftMs: 99.9 }), false);
  assert.equal(meetsTargets(r({}), { tpotMs: 49 }), false);
  assert.equal(meetsTargets(r({}), { e2elMs: 149 }), false);
  assert.equal(meetsTargets(r({ tpotMs: null, outputTokens: 1 }), { tpotMs: 1 }), true);
  assert.equal(meetsTargets(r({ outcome: 'rejected', ttftMs: null, e2eMs: null }), {}), false);
});
