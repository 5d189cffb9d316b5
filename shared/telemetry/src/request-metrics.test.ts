import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { parsePrometheusText, sumSamples } from './prometheus-text.js';
import { RequestMetrics } from './request-metrics.js';

/** A RequestMetrics on a fake clock (ms) that the test moves. */
function setup(options: { defaultSlo?: { ttftMs?: number; tpotMs?: number } } = {}) {
  const clock = { ms: 1000 };
  const registry = new Registry();
  const metrics = new RequestMetrics(registry, {
    ...options,
    windowMs: 10_000,
    now: () => clock.ms,
    monotonic: () => clock.ms,
  });
  const scrape = async () => parsePrometheusText(await registry.metrics());
  return { clock, metrics, scrape };
}

describe('RequestMetrics and RequestTimer', () => {
  it('TTFT, ITL (one per token after the first), TPOT, e2e, tokens and finish reasons', async () => {
    const { clock, metrics, scrape } = setup();
    const t = metrics.start('m');
    clock.ms += 100;
    t.tokens(1, 7); // TTFT 0.1 s
    clock.ms += 30;
    t.tokens(3, 7); // three tokens 10 ms apart on average
    clock.ms += 5;
    t.finished(['length']);
    const f = await scrape();
    assert.equal(sumSamples(f, 'vllm:time_to_first_token_seconds_sum'), 0.1);
    assert.equal(sumSamples(f, 'vllm:inter_token_latency_seconds_count'), 3);
    assert.ok(Math.abs(sumSamples(f, 'vllm:inter_token_latency_seconds_sum') - 0.03) < 1e-9);
    assert.ok(Math.abs(sumSamples(f, 'vllm:request_time_per_output_token_seconds_sum') - 0.01) < 1e-9);
    assert.ok(Math.abs(sumSamples(f, 'vllm:e2e_request_latency_seconds_sum') - 0.135) < 1e-9);
    assert.equal(sumSamples(f, 'vllm:prompt_tokens_total'), 7);
    assert.equal(sumSamples(f, 'vllm:generation_tokens_total'), 4);
    assert.equal(sumSamples(f, 'vllm:request_success_total', { finished_reason: 'length' }), 1);
  });

  it('a failed request counts as an error and a missed SLO; a second end is ignored', async () => {
    const { metrics, scrape } = setup({ defaultSlo: { ttftMs: 50 } });
    const t = metrics.start('m');
    t.failed('overloaded');
    t.finished(['stop']);
    const f = await scrape();
    assert.equal(sumSamples(f, 'pdserve:request_errors_total', { code: 'overloaded' }), 1);
    assert.equal(sumSamples(f, 'vllm:e2e_request_latency_seconds_count'), 0);
    assert.equal(sumSamples(f, 'pdserve:slo_requests_total', { slo_class: 'ttft=50ms' }), 1);
    assert.equal(sumSamples(f, 'pdserve:slo_met_total'), 0);
  });

  it('SLO classes by target, attainment and goodput over the window', async () => {
    const { clock, metrics, scrape } = setup({ defaultSlo: { ttftMs: 200, tpotMs: 20 } });
    const run = (ttftMs: number, gapMs: number, slo?: { ttftMs: number }) => {
      const t = metrics.start('m', slo);
      clock.ms += ttftMs;
      t.tokens(1, 3);
      clock.ms += gapMs;
      t.tokens(1, 3);
      t.finished(['length']);
    };
    run(100, 10); // meets the default
    run(300, 10); // TTFT too slow
    run(100, 50); // TPOT too slow
    run(10, 500, { ttftMs: 20 }); // its own class: TTFT only
    clock.ms = 1000 + 4000; // 4 s into the window
    const f = await scrape();
    const cls = 'ttft=200ms,tpot=20ms';
    assert.equal(sumSamples(f, 'pdserve:slo_requests_total', { slo_class: cls }), 3);
    assert.equal(sumSamples(f, 'pdserve:slo_met_total', { slo_class: cls }), 1);
    assert.ok(Math.abs(sumSamples(f, 'pdserve:slo_attainment', { slo_class: cls }) - 1 / 3) < 1e-9);
    assert.ok(Math.abs(sumSamples(f, 'pdserve:goodput', { slo_class: cls }) - 1 / 4) < 1e-9);
    assert.equal(sumSamples(f, 'pdserve:slo_met_total', { slo_class: 'ttft=20ms' }), 1);
    clock.ms += 20_000; // past the window: the gauges empty, the counters stay
    const later = await scrape();
    assert.equal(later.get('pdserve:slo_attainment')?.samples.length, 0);
    assert.equal(sumSamples(later, 'pdserve:slo_requests_total'), 4);
  });

  it('pools SLO classes past 16 into "other"', async () => {
    const { metrics, scrape } = setup();
    for (let i = 1; i <= 20; i++) metrics.start('m', { ttftMs: i }).failed('timeout');
    const f = await scrape();
    const classes = new Set(f.get('pdserve:slo_requests_total')?.samples.map((s) => s.labels.slo_class));
    assert.equal(classes.size, 17);
    assert.equal(sumSamples(f, 'pdserve:slo_requests_total', { slo_class: 'other' }), 4);
  });
});
