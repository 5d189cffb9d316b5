import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Request, RequestStatus, SamplingParams } from '@pdserve/engine';
import { queuedPromptTokens } from './queued-prompt-tokens.js';

function request(id: string, promptLen: number, computed: number, outputs: number[] = []): Request {
  const r = new Request({
    requestId: id,
    promptTokenIds: Array.from({ length: promptLen }, (_, i) => i + 3),
    samplingParams: SamplingParams.create({ maxTokens: 8 }),
    maxTokens: 8,
    eosTokenIds: [2],
  });
  r.numComputedTokens = computed;
  for (const t of outputs) r.appendOutputToken(t);
  return r;
}

describe('queuedPromptTokens', () => {
  it('sums uncomputed prompt tokens of waiting and prefilling requests, not of decoding ones', () => {
    const waiting = request('w', 100, 0);
    const chunked = request('c', 300, 128);
    chunked.status = RequestStatus.RUNNING;
    const decoding = request('d', 50, 50, [7]);
    decoding.status = RequestStatus.RUNNING;
    assert.equal(queuedPromptTokens([waiting, chunked, decoding]), 100 + 172);
  });

  it('counts a preempted request as a recompute and skips remote-KV and finished requests', () => {
    const preempted = request('p', 20, 0, [7, 8]);
    preempted.status = RequestStatus.PREEMPTED;
    const remote = request('r', 64, 0);
    remote.status = RequestStatus.WAITING_FOR_REMOTE_KVS;
    const done = request('f', 64, 0);
    done.status = RequestStatus.FINISHED_ABORTED;
    assert.equal(queuedPromptTokens([preempted, remote, done]), 21);
  });
});
