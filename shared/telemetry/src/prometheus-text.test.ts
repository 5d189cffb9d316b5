import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { checkHistograms, PrometheusParseError, parsePrometheusText, sumSamples } from './prometheus-text.js';

describe('parsePrometheusText', () => {
  it('reads families, labels (escaped values), special values and suffixed samples', () => {
    const text = [
      '# HELP vllm:x_total Things.',
      '# TYPE vllm:x_total counter',
      'vllm:x_total{model_name="m",path="a\\"b\\\\c\\nd"} 3',
      'vllm:x_total{model_name="n"} 4 1700000000000',
      '# TYPE h histogram',
      'h_bucket{le="0.5"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_sum 0.75',
      'h_count 2',
      'g NaN',
      'g2 -Inf',
    ].join('\n');
    const f = parsePrometheusText(text);
    const x = f.get('vllm:x_total');
    assert.equal(x?.type, 'counter');
    assert.equal(x?.help, 'Things.');
    assert.equal(x?.samples[0].labels.path, 'a"b\\c\nd');
    assert.equal(sumSamples(f, 'vllm:x_total'), 7);
    assert.equal(sumSamples(f, 'vllm:x_total', { model_name: 'n' }), 4);
    assert.equal(f.get('h')?.samples.length, 4);
    assert.ok(Number.isNaN(f.get('g')?.samples[0].value));
    assert.equal(f.get('g2')?.samples[0].value, Number.NEGATIVE_INFINITY);
    checkHistograms(f);
  });

  it('refuses malformed lines', () => {
    for (const bad of ['x{a="1" 2', 'x{a=1} 2', '1x 2', 'x abc', 'x{a="1",a="2"} 1', '# TYPE x wrong'])
      assert.throws(() => parsePrometheusText(bad), PrometheusParseError, bad);
  });

  it('checkHistograms catches buckets that are not cumulative or disagree with _count', () => {
    const base = ['# TYPE h histogram', 'h_bucket{le="1"} 2', 'h_sum 1'];
    assert.throws(
      () => checkHistograms(parsePrometheusText([...base, 'h_bucket{le="+Inf"} 1', 'h_count 1'].join('\n'))),
      /not cumulative/,
    );
    assert.throws(
      () => checkHistograms(parsePrometheusText([...base, 'h_bucket{le="+Inf"} 2', 'h_count 3'].join('\n'))),
      /differs from _count/,
    );
  });

  it("parses prom-client's output with vLLM's colon names", async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ instance_id: 'i' });
    const h = new Histogram({
      name: 'vllm:e2e',
      help: 'e',
      labelNames: ['model_name'],
      buckets: [1],
      registers: [registry],
    });
    const c = new Counter({
      name: 'vllm:tokens_total',
      help: 't',
      labelNames: ['model_name'],
      registers: [registry],
    });
    h.observe({ model_name: 'm' }, 0.5);
    h.observe({ model_name: 'm' }, 2);
    c.inc({ model_name: 'm' }, 5);
    const f = parsePrometheusText(await registry.metrics());
    checkHistograms(f);
    assert.equal(sumSamples(f, 'vllm:e2e_count', { instance_id: 'i' }), 2);
    assert.equal(sumSamples(f, 'vllm:e2e_bucket', { le: '1' }), 1);
    assert.equal(sumSamples(f, 'vllm:tokens_total'), 5);
  });
});
