import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteDecision, RouteRequest } from '@pdserve/protocol';
import { PlacementLedger } from './placement-ledger.js';

const request: RouteRequest = {
  requestId: 'r',
  model: 'm',
  numPromptTokens: 100,
  blockHashes: [],
  maxTokens: 60,
  arrivalTimeMs: 0,
  slo: { tpotMs: 70 },
};
const colocated: RouteDecision = {
  requestId: 'r',
  mode: 'colocated',
  decodeInstanceId: 'd',
  numCachedTokens: 32,
  predictedTtftMs: 0,
  predictedTpotMs: 0,
};
const pair: RouteDecision = {
  ...colocated,
  mode: 'disaggregated',
  prefillInstanceId: 'p',
  numCachedTokens: 0,
};
const bs16 = () => 16;

describe('PlacementLedger', () => {
  it('counts a colocated placement on its instance until a heartbeat seen after the grace time', () => {
    const ledger = new PlacementLedger(50);
    ledger.record(request, colocated, bs16, 1000);
    // 160 tokens = 10 blocks, 2 of them cached; 68 uncached prompt tokens
    const pending = { decodeRequests: 1, promptTokens: 68, blocks: 8, numWithoutTpotSlo: 0, minTpotMs: 70 };
    assert.deepEqual(ledger.pendingFor('d', 900), pending, 'heartbeat older than the placement');
    assert.deepEqual(ledger.pendingFor('d', 1049), pending, 'within the grace time');
    assert.equal(ledger.pendingFor('d', 1050), undefined, 'a later heartbeat shows it');
    assert.equal(ledger.pendingFor('other', 0), undefined);
  });

  it('splits a pair: prompt work and blocks on the prefill side, the batch slot and all blocks on the decode side', () => {
    const ledger = new PlacementLedger(50);
    const { slo: _slo, ...noSlo } = request;
    ledger.record(noSlo, pair, bs16, 0);
    ledger.record(noSlo, pair, bs16, 10);
    assert.deepEqual(ledger.pendingFor('p', 0), {
      decodeRequests: 0,
      promptTokens: 200,
      blocks: 14,
      numWithoutTpotSlo: 0,
    });
    assert.deepEqual(ledger.pendingFor('d', 0), {
      decodeRequests: 2,
      promptTokens: 0,
      blocks: 20,
      numWithoutTpotSlo: 2,
    });
  });

  it('drops entries older than its max age', () => {
    const ledger = new PlacementLedger(50, 1000);
    ledger.record(request, colocated, bs16, 0);
    ledger.record(request, colocated, bs16, 600);
    ledger.prune(1200);
    assert.equal(ledger.size, 1);
  });
});
