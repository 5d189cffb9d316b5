import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelInput } from '@pdserve/engine';
import { instrumentRunner, stepRowsOf } from './instrument-runner.js';

const input = (queryLen: number[]) => ({ queryLen: Int32Array.from(queryLen) }) as unknown as ModelInput;

describe('instrumentRunner', () => {
  it('counts the rows of sequences computing more than one token as prompt tokens, the others as decode rows', () => {
    assert.deepEqual(stepRowsOf(input([1, 1, 300, 64, 1])), { promptTokens: 364, decodeRows: 3 });
    assert.deepEqual(stepRowsOf(input([1, 1])), { promptTokens: 0, decodeRows: 2 });
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
      onStart: (n, d) => events.push(`start ${n} ${d}`),
      onEnd: () => events.push('end'),
    });
    await runner.execute(input([40, 1]));
    fail = true;
    await assert.rejects(runner.execute(input([1])), /runner failed/);
    assert.deepEqual(events, ['start 40 1', 'execute 2', 'end', 'start 0 1', 'execute 1', 'end']);
  });
});
