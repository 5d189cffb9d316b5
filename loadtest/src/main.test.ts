import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BenchResultJson } from './report/bench-result-json.js';
import { FakeOpenAiServer } from './testing/fake-openai-server.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** Runs the built CLI as a child process (async: the fake server lives in this process). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: FakeOpenAiServer;
let dir: string;
before(async () => {
  // Every 5th request is rejected; the rest stream 5 tokens.
  server = await FakeOpenAiServer.start((r) =>
    r.index % 5 === 4
      ? { kind: 'reject', retryAfterS: 3 }
      : { kind: 'stream', firstTokenMs: 20, intervalMs: 5, tokens: 5 },
  );
  dir = await mkdtemp(join(tmpdir(), 'pdserve-bench-'));
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const common = () => ['--base-url', server.baseUrl, '--model', 'fake', '--random-input-len', '8'];

test('serve prints the tables and writes the JSON and HTML results', async () => {
  const json = join(dir, 'run.json');
  const html = join(dir, 'run.html');
  const before = server.received.length;
  const args = [...common(), '--random-output-len', '5', '--num-prompts', '10', '--request-rate', '100'];
  const r = await cli([
    'serve',
    ...args,
    '--goodput',
    'ttft:5000',
    'tpot:1000',
    '--result-json',
    json,
    '--result-html',
    html,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Completed requests\s*│ 8/);
  assert.match(r.stdout, /Rejected requests \(429\)\s*│ 2/);
  assert.match(r.stdout, /TTFT \(ms\)/);
  assert.match(
    r.stderr,
    /\[fake @ 100 req\/s\] 10\/10 done \(ok 8, rejected 2, failed 0\)/,
    'plain progress lines',
  );
  assert.equal(server.received.length - before, 10);
  const res = JSON.parse(await readFile(json, 'utf8')) as BenchResultJson;
  assert.deepEqual([res.completed, res.rejected, res.failed, res.good], [8, 2, 0, 8]);
  assert.equal(res.request_rate, 100);
  assert.equal(res.goodput, res.request_goodput);
  assert.ok(Math.abs(res.request_goodput! - 8 / res.duration) < 1e-9);
  for (const k of [
    'request_throughput',
    'output_throughput',
    'mean_ttft_ms',
    'p99_ttft_ms',
    'median_tpot_ms',
  ]) {
    assert.equal(typeof res[k as keyof BenchResultJson], 'number', k);
  }
  assert.equal(res.ttfts.length, 10);
  assert.equal(res.ttfts.filter((t) => t !== null).length, 8);
  assert.deepEqual(res.goodput_config, { ttft: 5000, tpot: 1000 });
  assert.ok((await readFile(html, 'utf8')).startsWith('<!DOCTYPE html>'));
});

test('sweep runs every series at every rate and writes the comparison report', async () => {
  const out = join(dir, 'sweep');
  const series = ['--series', `a=${server.baseUrl}`, '--series', `b=${server.baseUrl}/`];
  const args = ['sweep', '--model', 'fake', '--random-input-len', '4', '--random-output-len', '5', ...series];
  const r = await cli([...args, '--num-prompts', '5', '--rates', '50,100', '--out-dir', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await readdir(out)).sort(), ['a', 'b', 'index.json', 'report.html']);
  assert.deepEqual((await readdir(join(out, 'a'))).sort(), ['rate-100.json', 'rate-50.json']);
  const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as Array<{ label: string }>;
  assert.deepEqual(
    index.map((x) => x.label),
    ['a', 'a', 'b', 'b'],
  );
  const html = await readFile(join(out, 'report.html'), 'utf8');
  assert.ok(html.includes('Goodput vs request rate') || html.includes('Request throughput vs request rate'));
  assert.equal(r.stderr, '', '--quiet: no progress');
});

test('report combines result files into one page', async () => {
  const out = join(dir, 'report.html');
  const inputs = [join(dir, 'sweep', 'a', 'rate-50.json'), join(dir, 'sweep', 'b', 'rate-100.json')];
  const r = await cli(['report', '--inputs', ...inputs, '--out', out, '--title', 'two runs']);
  assert.equal(r.code, 0, r.stderr);
  const html = await readFile(out, 'utf8');
  assert.ok(html.includes('<title>two runs</title>'));
  assert.equal((html.match(/<details/g) ?? []).length, 2);
});

test('--calibrate fits prompt words to the tokenizer (fake: 2 tokens per word)', async () => {
  const json = join(dir, 'cal.json');
  const before = server.received.length;
  const args = ['serve', '--base-url', server.baseUrl, '--model', 'fake', '--random-input-len', '40'];
  const r = await cli([...args, '--num-prompts', '2', '--calibrate', '--result-json', json]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /calibrated: 2\.000 tokens per prompt word/);
  const res = JSON.parse(await readFile(json, 'utf8')) as BenchResultJson;
  assert.equal(res.dataset_config.tokensPerWord, 2);
  const prompts = server.received.slice(before).map((x) => String(x.body.prompt));
  assert.ok(prompts.every((p) => p.split(' ').length === 20));
});

test('bad options exit with status 2 and a message', async () => {
  const r = await cli(['serve', ...common(), '--goodput', 'ttft:fast', '--quiet']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--goodput takes ttft:MS/);
  const noUrl = await cli(['serve', '--model', 'm']);
  assert.equal(noUrl.code, 2);
  assert.match(noUrl.stderr, /--base-url is required/);
});
