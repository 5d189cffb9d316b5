import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentKvConnector } from './agent-kv-connector.js';
import { colocated, disaggregate, prompt } from './conformance-helpers.js';
import { conformanceContext, runKvConnectorConformance } from './kv-connector-conformance.js';
import { natsFabric } from './nats-fabric.js';
import { TestCluster } from './test-cluster.js';
import { ucxFabric } from './ucx-fabric.js';

const SHM = 'posix,sysv,cma,self';
runKvConnectorConformance('ucx over shared memory', () => ucxFabric({ tls: SHM }));
runKvConnectorConformance('ucx over tcp', () => ucxFabric({ tls: 'tcp' }));

const GREEDY = { temperature: 0, maxTokens: 6 };

describe('ucx transport negotiation and fallback', () => {
  /** One disaggregated request on a fresh cluster; returns the sending agent's transport counters. */
  async function transferOnce(options: Parameters<typeof ucxFabric>[0]) {
    const fabric = await ucxFabric(options);
    const ctx = await conformanceContext(async () => fabric);
    try {
      const toks = prompt(20, 31);
      const run = await disaggregate(ctx.p, ctx.d, 'r', toks, GREEDY);
      assert.deepEqual((await run.decode).tokens, await colocated(toks, GREEDY));
      assert.equal((await ctx.p.event('sendFinished', 'r')).ok, true);
      await ctx.cluster.waitUntil('everything is free', () => ctx.cluster.allIdle());
      return fabric.transports.get('agent-p')!.stats();
    } finally {
      await ctx.cluster.close();
    }
  }

  it('moves the blocks over UCX when both agents have it', async () => {
    const s = await transferOnce({ tls: SHM });
    assert.ok(s.ucxBatches > 0, JSON.stringify(s));
    assert.equal(s.fallbackBatches, 0);
  });

  it('takes NATS when the receiving agent has no UCX', async () => {
    const s = await transferOnce({ tls: SHM, tlsOf: { 'agent-d': '' } });
    assert.equal(s.ucxBatches, 0);
    assert.ok(s.fallbackBatches > 0);
    assert.equal(s.ucxFailures, 0, 'no UCX attempt without an offer');
  });

  it('falls back to NATS when UCX cannot reach the receiver, and stays there for that peer', async () => {
    // The sender speaks only TCP, the receiver only shared memory: connect fails.
    const s = await transferOnce({ tls: SHM, tlsOf: { 'agent-p': 'tcp' } });
    assert.equal(s.ucxBatches, 0);
    assert.equal(s.ucxFailures, 1);
    assert.ok(s.fallbackBatches > 0);
  });
});

describe('advertised KV connector endpoint', () => {
  it("names the transports of the engine's agent once attached, UCX first", async () => {
    const cluster = new TestCluster(await ucxFabric({ tls: SHM }));
    try {
      await cluster.agent('agent-p');
      const detached = new AgentKvConnector({
        bus: await cluster.fabric.bus('Q'),
        instanceId: 'Q',
        epoch: 1,
        agentId: 'agent-p',
        modelFingerprint: 'fake-model',
        hashSeed: 'seed',
      });
      assert.deepEqual(
        detached.endpoint(),
        { agentId: 'agent-p', transports: ['nats'] },
        'before the attach',
      );
      const p = await cluster.engine('P', 'agent-p');
      assert.deepEqual(p.connector.endpoint(), { agentId: 'agent-p', transports: ['ucx', 'nats'] });
    } finally {
      await cluster.close();
    }
  });

  it('names NATS alone for an agent without UCX', async () => {
    const cluster = new TestCluster(await natsFabric());
    try {
      await cluster.agent('agent-p');
      const p = await cluster.engine('P', 'agent-p');
      assert.deepEqual(p.connector.endpoint(), { agentId: 'agent-p', transports: ['nats'] });
    } finally {
      await cluster.close();
    }
  });
});
