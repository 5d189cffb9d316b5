import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestResult } from '../metrics/request-result.js';
import { ProgressReporter } from './progress-reporter.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = {
    isTTY,
    text: '',
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

const result = (outcome: RequestResult['outcome']) => ({ outcome }) as RequestResult;

test('bar on a terminal, plain lines otherwise, nothing when quiet', () => {
  assert.equal(ProgressReporter.modeFor(fakeStream(true), false), 'bar');
  assert.equal(ProgressReporter.modeFor(fakeStream(false), false), 'lines');
  assert.equal(ProgressReporter.modeFor(fakeStream(true), true), 'off');
});

test('plain mode writes periodic lines and a final one with the counts', async () => {
  const stream = fakeStream(false);
  const p = new ProgressReporter(3, { stream, mode: 'lines', intervalMs: 10, label: 'run' });
  p.start();
  p.update(result('ok'));
  await new Promise((r) => setTimeout(r, 35));
  p.update(result('rejected'));
  p.update(result('ok'));
  p.stop();
  const lines = stream.text.trim().split('\n');
  assert.ok(lines.length >= 2, stream.text);
  assert.match(lines[0], /^\[run\] 1\/3 done \(ok 1, rejected 0, failed 0\) after \d+\.\d s$/);
  assert.match(lines[lines.length - 1], /^\[run\] 3\/3 done \(ok 2, rejected 1, failed 0\)/);
});
