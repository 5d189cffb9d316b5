import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  CONFORMANCE_MODEL,
  colocated,
  disaggregate,
  prompt,
  watchBlockBytes,
} from './conformance-helpers.js';
import { runFaultConformance } from './kv-connector-conformance-faults.js';
import { type KvTestFabric, TestCluster } from './test-cluster.js';
import type { TestEngine } from './test-engine.js';
import { TransportTestFaults } from './transport-test-faults.js';

/** What each test of the suite starts with: P and D on their own agents, faults on P's agent. */
export interface ConformanceContext {
  cluster: TestCluster;
  faults: TransportTestFaults;
  p: TestEngine;
  d: TestEngine;
}

/** Builds the context of one test on a fresh fabric. */
export async function conformanceContext(
  makeFabric: () => Promise<KvTestFabric>,
): Promise<ConformanceContext> {
  const cluster = new TestCluster(await makeFabric());
  const faults = new TransportTestFaults();
  await cluster.agent('agent-p', faults);
  await cluster.agent('agent-d');
  const p = await cluster.engine('P', 'agent-p', { model: CONFORMANCE_MODEL });
  const d = await cluster.engine('D', 'agent-d', { model: CONFORMANCE_MODEL });
  return { cluster, faults, p, d };
}

const GREEDY = { temperature: 0, maxTokens: 6 };
const SEEDED = { temperature: 0.8, seed: 42, maxTokens: 6 };

/**
 * The KV connector conformance suite: every implementation (in-memory, nats, and ucx over shared
 * memory and over TCP) runs it through its fabric. Engines are EngineCores over PoolFakeExecutor,
 * whose output depends on the bytes in its pool, so "decode continues as colocated" checks the
 * transferred bytes too.
 */
export function runKvConnectorConformance(name: string, makeFabric: () => Promise<KvTestFabric>): void {
  describe(`KV connector conformance: ${name}`, () => {
    let ctx: ConformanceContext;
    beforeEach(async () => {
      ctx = await conformanceContext(makeFabric);
    });
    afterEach(async () => {
      await ctx.cluster.close();
    });

    it('moves the prompt blocks byte for byte; decode continues exactly as colocated (greedy and seeded)', async () => {
      const { p, d, cluster } = ctx;
      const cases = [
        { id: 'short', prompt: prompt(3, 1), params: GREEDY },
        { id: 'exact', prompt: prompt(8, 2), params: SEEDED },
        { id: 'chunked', prompt: prompt(19, 3), params: GREEDY },
        { id: 'chunked-seeded', prompt: prompt(13, 4), params: SEEDED },
      ];
      for (const c of cases) {
        const checkBytes = watchBlockBytes(p, d, c.id);
        const run = await disaggregate(p, d, c.id, c.prompt, c.params);
        const [dOut, pOut] = await Promise.all([run.decode, run.prefill]);
        const expected = await colocated(c.prompt, c.params);
        assert.deepEqual(dOut.tokens, expected, `${c.id}: decode output`);
        assert.deepEqual(pOut.tokens, expected.slice(0, 1), `${c.id}: prefill samples the first token only`);
        if (c.params === GREEDY) assert.deepEqual(expected, p.executor.referenceGreedy(c.prompt, 6));
        assert.equal(dOut.finishReason, 'length');
        checkBytes();
        const sent = await p.event('sendFinished', c.id);
        assert.equal(sent.ok, true);
        const prefillDone = await p.event('prefillDone', c.id);
        assert.deepEqual(prefillDone.decodeState.outputTokenIds, expected.slice(0, 1));
      }
      await cluster.waitUntil('everything is free', () => cluster.allIdle());
    });

    it('serves prefix-cache hits on the prefill side', async () => {
      const { p, d, cluster } = ctx;
      const base = prompt(12, 5);
      const longer = [...base, ...prompt(5, 6)];
      for (const [id, toks] of [
        ['first', base],
        ['second', longer],
      ] as const) {
        const run = await disaggregate(p, d, id, toks, GREEDY);
        assert.deepEqual((await run.decode).tokens, await colocated(toks, GREEDY));
        await run.prefill;
      }
      assert.ok(p.core.stats.prefixCacheStats.hits >= 8, 'the second prompt hit the cached prefix on P');
      await cluster.waitUntil('everything is free', () => cluster.allIdle());
    });

    it('retries a dropped, a corrupted and an unacknowledged chunk; duplicates are harmless', async () => {
      const { p, d, cluster, faults } = ctx;
      faults.next('drop').next('corrupt').next('dropReply');
      const toks = prompt(10, 7);
      const run = await disaggregate(p, d, 'r', toks, SEEDED);
      assert.deepEqual((await run.decode).tokens, await colocated(toks, SEEDED));
      assert.deepEqual(
        faults.injected.map((x) => x.action),
        ['drop', 'corrupt', 'dropReply'],
      );
      assert.equal((await p.event('sendFinished', 'r')).ok, true);
      await cluster.waitUntil('everything is free', () => cluster.allIdle());
    });

    it('gives up after a bounded number of retries and frees everything', async () => {
      const { p, d, cluster, faults } = ctx;
      faults.next('corrupt', 50);
      const run = await disaggregate(p, d, 'r', prompt(10, 8), GREEDY);
      const dOut = await run.decode;
      assert.equal(dOut.finishReason, 'abort');
      const sent = await p.event('sendFinished', 'r');
      assert.equal(sent.ok, false);
      assert.ok((await d.event('recvFailed', 'r')).error.message.includes('KV transfer'));
      await cluster.waitUntil('everything is free', () => cluster.allIdle());
    });

    it('refuses a handshake between instances that differ (model fingerprint) with a clear error', async () => {
      const { p, cluster } = ctx;
      const other = await cluster.engine('D2', 'agent-d', {
        model: CONFORMANCE_MODEL,
        modelFingerprint: 'another-model',
      });
      const run = await disaggregate(p, other, 'r', prompt(6, 9), GREEDY);
      assert.equal((await run.decode).finishReason, 'abort');
      const sent = await p.event('sendFinished', 'r');
      assert.equal(sent.ok, false);
      assert.match(sent.error?.message ?? '', /handshake refused.*differ in model fingerprint/);
      assert.match((await other.event('recvFailed', 'r')).error.message, /handshake refused/);
      await cluster.waitUntil('everything is free', () => cluster.allIdle());
    });

    it('fails the decode side when no KV comes in time', async () => {
      const { cluster } = ctx;
      const lonely = await cluster.engine('D3', 'agent-d', { model: CONFORMANCE_MODEL, recvTimeoutMs: 150 });
      const out = lonely.submit('r', prompt(6, 10), GREEDY, { doRemotePrefill: true });
      await lonely.core.remotePrefillReservation('r');
      assert.equal((await out).finishReason, 'abort');
      assert.match((await lonely.event('recvFailed', 'r')).error.message, /no KV within 150 ms/);
      await cluster.waitUntil('everything is free', () => cluster.allIdle());
    });

    runFaultConformance(() => ctx);
  });
}
