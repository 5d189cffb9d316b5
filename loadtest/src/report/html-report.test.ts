import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchSummary } from '../metrics/bench-summary.js';
import type { RequestResult } from '../metrics/request-result.js';
import type { BenchResultJson } from './bench-result-json.js';
import { htmlReport } from './html-report.js';
import { resultJson } from './result-json.js';

/** A run of n requests: every 4th rejected, TTFT growing with the rate. */
function fakeRun(label: string, rate: number, n = 12): BenchResultJson {
  const results: RequestResult[] = Array.from({ length: n }, (_, i) => {
    const rejected = i % 4 === 3;
    const sent = i * 50 + 5;
    const ttft = 40 + rate * 10 + i;
    return {
      index: i,
      tag: 'random',
      outcome: rejected ? 'rejected' : 'ok',
      ...(rejected ? { error: 'HTTP 429: overloaded', httpStatus: 429, retryAfterS: 1 } : {}),
      promptLen: 10,
      requestedOutputLen: 5,
      outputTokens: rejected ? 0 : 5,
      outputTokensSource: 'usage',
      scheduledMs: i * 50,
      sentMs: sent,
      firstTokenMs: rejected ? null : sent + ttft,
      endMs: rejected ? sent + 1 : sent + ttft + 40,
      ttftMs: rejected ? null : ttft,
      e2eMs: rejected ? null : ttft + 40,
      tpotMs: rejected ? null : 10,
      itlsMs: rejected ? [] : [10, 10, 10, 10],
      chunks: rejected ? [] : [0, 1, 2, 3, 4].map((k) => ({ atMs: sent + ttft + 10 * k, tokens: 1 })),
    };
  });
  const goodput = { ttftMs: 100 };
  const sum = benchSummary(results, 0, 1, goodput, [50, 90, 99]);
  return resultJson(
    {
      label,
      baseUrl: 'http://127.0.0.1:1',
      endpoint: '/v1/completions',
      model: 'm',
      dataset: { kind: 'random' },
      numPrompts: n,
      requestRate: rate,
      burstiness: 1,
      maxConcurrency: null,
      seed: 0,
      numWarmups: 0,
      durationLimitS: 60,
      hitDurationLimit: false,
      goodput,
      percentiles: [50, 90, 99],
      startedAt: new Date(0),
    },
    sum,
    results,
  );
}

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

/** Every non-void element is closed in order (the page is well formed). */
function assertBalanced(html: string): void {
  const stack: string[] = [];
  const body = html.replace(/^<!DOCTYPE html>/, '').replace(/<style>[\s\S]*?<\/style>/, '');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing || name === 'meta') continue;
    if (closing) assert.equal(stack.pop(), name, `closing </${name}>`);
    else stack.push(name);
  }
  assert.deepEqual(stack, []);
}

test('one run: a valid self-contained page with CDFs and a timeline', () => {
  const run = fakeRun('pdserve', 2);
  const html = htmlReport([run], 'single');
  assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
  assertBalanced(html);
  assert.equal(count(html, /<script/g), 0);
  assert.equal(count(html, /https?:\/\//g), count(html, /xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g));
  assert.equal(count(html, /<svg /g), 4, '3 CDFs + 1 timeline');
  assert.equal(count(html, /Goodput vs request rate/g), 0, 'no rate chart for one run');
  for (const m of ['TTFT CDF', 'TPOT CDF', 'E2E latency CDF']) assert.ok(html.includes(m), m);
  // 9 completed requests: a step CDF has 2n - 1 points.
  const ttftLine = html
    .split('TTFT CDF')
    .at(-1)!
    .match(/points="([^"]*)"/)![1];
  assert.equal(ttftLine.split(' ').length, 2 * 9 - 1);
  // Timeline: queued + waiting + decoding bars per completed request, a dot per rejection.
  assert.equal(count(html, /<rect class="waiting"/g), 9);
  assert.equal(count(html, /<rect class="decoding"/g), 9);
  assert.equal(count(html, /<rect class="queued"/g), 12 - 3);
  assert.equal(count(html, /<circle class="rejected"/g), 3);
  assert.ok(html.includes('target 100 ms'), 'TTFT target drawn on its CDF');
});

test('several runs: goodput and p99 TTFT vs rate per series, with the TTFT target', () => {
  const runs = [1, 2, 4].flatMap((r) => [fakeRun('router', r), fakeRun('round-robin', r)]);
  const html = htmlReport(runs, 'sweep');
  assertBalanced(html);
  assert.ok(html.includes('Goodput vs request rate') && html.includes('p99 TTFT vs request rate'));
  // Two series x three rates, in each of the two rate charts.
  assert.equal(count(html, /<circle class="marker"/g), 2 * 2 * 3);
  assert.equal(count(html, /data-series="router"/g), 2);
  assert.ok(html.includes('TTFT target 100 ms'));
  // One CDF set per series (a line per rate) and one timeline per run.
  assert.equal(count(html, /<svg /g), 2 + 2 * 3 + 6);
  assert.equal(count(html, /<details/g), 6);
  assert.equal(count(html, /<tr>/g), 1 + 6);
});

test('text from results is escaped', () => {
  const html = htmlReport([fakeRun('<b>&"x"</b>', 1)]);
  assert.ok(!html.includes('<b>&'));
  assert.ok(html.includes('&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;'));
  assertBalanced(html);
});
