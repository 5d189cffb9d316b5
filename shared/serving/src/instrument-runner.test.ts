import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelInput } from '@pdserve/engine';
import { instrumentRunner, promptTokensOf } from './instrument-runner.js';

const input = (queryLen: number[]) => ({ queryLen: Int32Array.from(queryLen) }) as unknown as ModelInput;

describe('instrumentRunner', () => {
  it('counts the rows of sequences computing more than one token as prompt tokens', () => {
    assert.equal(promptTokensOf(input([1, 1, 300, 64, 1])), 364);
    assert.equal(promptTokensOf(input([1, 1])), 0);
  });

  it('reports each step while it runs, also when it fails', async () => {
    const events: string[] = [];
    let fail = false;
    const runner = {
      execute: async (i: ModelInput) => {
        events.push(`execute ${i.queryLen.length}`);
        if (fail) throw new Error('runner failed');
        return new Float32Array(1);
      },
    };
    instrumentRunner(runner, {
      delayMs: 0,
      onStart: (n) => events.push(`start ${n}`),
      onEnd: () => events.push('end'),
    });
    await runner.execute(input([40, 1]));
    fail = true;
    await assert.rejects(runner.execute(input([1])), /runner failed/);
    assert.deepEqual(events, ['start 40', 'execute 2', 'end', 'start 0', 'execute 1', 'end']);
  });
});
