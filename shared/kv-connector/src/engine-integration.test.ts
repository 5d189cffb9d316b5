import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EngineCore,
  InvalidRequestError,
  KvCacheFullError,
  RequestStatus,
  SamplingParams,
} from '@pdserve/engine';
import { ServiceError } from '@pdserve/protocol';
import { CONFORMANCE_MODEL, disaggregate, prompt } from './conformance-helpers.js';
import { inMemoryFabric } from './in-memory-fabric.js';
import { PoolFakeExecutor } from './pool-fake-executor.js';
import { TestCluster } from './test-cluster.js';
import type { TestEngine } from './test-engine.js';
import { TransportTestFaults } from './transport-test-faults.js';

const params = SamplingParams.create({ temperature: 0, maxTokens: 4 });

describe('EngineCore with a KV connector', () => {
  let cluster: TestCluster;
  let p: TestEngine;
  let d: TestEngine;
  const faults = new TransportTestFaults();

  before(async () => {
    cluster = new TestCluster(inMemoryFabric());
    await cluster.agent('agent', faults);
    p = await cluster.engine('P', 'agent', { model: CONFORMANCE_MODEL });
    d = await cluster.engine('D', 'agent', { model: { ...CONFORMANCE_MODEL, numBlocks: 8 } });
  });
  after(() => cluster.close());

  it('reserves the whole prompt on the decode side, waiting in WAITING_FOR_REMOTE_KVS', async () => {
    const out = d.submit('w', prompt(10), { temperature: 0, maxTokens: 2 }, { doRemotePrefill: true });
    const request = d.core.scheduler.requests.get('w')!;
    assert.equal(request.status, RequestStatus.WAITING_FOR_REMOTE_KVS);
    assert.equal(d.core.kvCacheManager.getBlockIds('w').length, 3);
    const params = await d.core.remotePrefillReservation('w');
    assert.deepEqual(params.remoteBlockIds, d.core.kvCacheManager.getBlockIds('w'));
    assert.equal(params.numTokens, 10);
    assert.equal((await d.event('recvOpened', 'w')).kvTransferParams.transferId, params.transferId);
    d.loop.abort('w');
    assert.equal((await out).finishReason, 'abort');
    await cluster.waitUntil('D is free', () => d.isIdle() && cluster.allIdle());
  });

  it('refuses a reservation the pool cannot hold now with KvCacheFullError, and leaks nothing', async () => {
    const first = d.submit('big', prompt(24), { temperature: 0, maxTokens: 2 }, { doRemotePrefill: true });
    const req = {
      requestId: 'more',
      promptTokenIds: prompt(12),
      samplingParams: params,
      kvTransferParams: { doRemotePrefill: true },
    };
    assert.throws(() => d.core.addRequest(req), KvCacheFullError);
    assert.equal(d.core.scheduler.requests.has('more'), false);
    d.loop.abort('big');
    await first;
    await cluster.waitUntil('D is free', () => d.isIdle() && cluster.allIdle());
  });

  it('rejects kvTransferParams it cannot serve', () => {
    const base = { promptTokenIds: prompt(6), samplingParams: params };
    const add = (requestId: string, extra: object) => () =>
      p.core.addRequest({ ...base, requestId, ...extra });
    assert.throws(
      add('a', { kvTransferParams: { doRemoteDecode: true } }),
      (e) => e instanceof ServiceError && e.code === 'invalid_request',
    );
    assert.throws(
      add('b', { kvTransferParams: { doRemoteDecode: true, doRemotePrefill: true } }),
      InvalidRequestError,
    );
    const n2 = SamplingParams.create({ n: 2, temperature: 1 });
    assert.throws(
      add('c', { samplingParams: n2, kvTransferParams: { doRemotePrefill: true } }),
      InvalidRequestError,
    );
    const plain = new PoolFakeExecutor(CONFORMANCE_MODEL);
    const core = new EngineCore(plain, { maxModelLen: 64, hashSeed: 's', eosTokenIds: [] });
    assert.throws(
      () => core.addRequest({ ...base, requestId: 'd', kvTransferParams: { doRemotePrefill: true } }),
      InvalidRequestError,
    );
    plain.close();
    assert.equal(p.core.scheduler.requests.size, 0);
  });

  it('a request id whose blocks a transfer still holds cannot be reused until it lets go', async () => {
    const hold = cluster.agents.get('agent')!;
    assert.ok(hold);
    const run = await disaggregate(p, d, 'again', prompt(6), { temperature: 0, maxTokens: 3 });
    await p.event('prefillDone', 'again');
    if (p.core.kvConnector?.isHolding('again')) {
      assert.throws(
        () => p.core.addRequest({ requestId: 'again', promptTokenIds: prompt(3), samplingParams: params }),
        InvalidRequestError,
      );
    }
    await Promise.all([run.decode, run.prefill]);
    await cluster.waitUntil('all free', () => cluster.allIdle());
    assert.equal(p.core.kvConnector?.isHolding('again'), false);
  });
});
