import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ServiceError, subjects } from '@pdserve/protocol';
import { kvAckCodec } from './agent-messages.js';
import { blockChecksum } from './block-checksum.js';
import { disaggregate, prompt } from './conformance-helpers.js';
import type { ConformanceContext } from './kv-connector-conformance.js';
import {
  kvCommitCodec,
  kvCommitReplyCodec,
  kvEndCodec,
  kvHandshakeCodec,
  kvHandshakeReplyCodec,
  kvReserveCodec,
} from './xfer-messages.js';

const GREEDY = { temperature: 0, maxTokens: 6 };

/** The suite's cancellation, peer-death and idempotency cases (registered inside its describe). */
export function runFaultConformance(context: () => ConformanceContext): void {
  it('an abort on the decode side mid-transfer frees everything on both sides and the agents', async () => {
    const { p, d, cluster, faults } = context();
    const hold = faults.hold();
    const run = await disaggregate(p, d, 'r', prompt(19, 11), GREEDY);
    await hold.reached;
    d.loop.abort('r');
    assert.equal((await run.decode).finishReason, 'abort');
    hold.release();
    assert.equal((await p.event('sendFinished', 'r')).ok, false);
    await cluster.waitUntil('everything is free', () => cluster.allIdle());
  });

  it('an abort on the prefill side mid-transfer frees everything; the decode side fails the request', async () => {
    const { p, d, cluster } = context();
    // P's second prefill step waits while its first step's blocks are already with the agent.
    const step2 = p.executor.holdStep(1);
    const run = await disaggregate(p, d, 'r', prompt(23, 12), GREEDY);
    await step2.reached;
    p.loop.abort('r');
    step2.release();
    assert.equal((await run.prefill).finishReason, 'abort');
    assert.equal((await run.decode).finishReason, 'abort');
    await cluster.waitUntil('everything is free', () => cluster.allIdle());
  });

  it('a dead receiving agent fails the transfer; the decode engine frees after its agent lease', async () => {
    const { p, d, cluster, faults } = context();
    const hold = faults.hold();
    const run = await disaggregate(p, d, 'r', prompt(19, 13), GREEDY);
    await hold.reached;
    await cluster.agents.get('agent-d')!.kill();
    hold.release();
    assert.equal((await p.event('sendFinished', 'r')).ok, false);
    assert.equal((await run.decode).finishReason, 'abort');
    await cluster.waitUntil('both engines are free', () => p.isIdle() && d.isIdle());
    assert.deepEqual(cluster.agents.get('agent-p')!.agent.stats().outbound, 0);
  });

  it('a dead sending agent: its sender lease expires at the receiver, which fails the decode request', async () => {
    const { p, d, cluster, faults } = context();
    const hold = faults.hold();
    const run = await disaggregate(p, d, 'r', prompt(19, 14), GREEDY);
    await hold.reached;
    // The agent's close waits for the parked operation: release it while it dies.
    const killed = cluster.agents.get('agent-p')!.kill();
    hold.release();
    await killed;
    assert.match((await d.event('recvFailed', 'r')).error.message, /lease of sender agent agent-p expired/);
    assert.equal((await run.decode).finishReason, 'abort');
    await cluster.waitUntil('both engines are free', () => p.isIdle() && d.isIdle());
    assert.equal(cluster.agents.get('agent-d')!.agent.stats().inbound, 0);
  });

  it('a dead prefill engine: its attachment lease expires, the agent stops and the decode side frees', async () => {
    const { p, d, cluster, faults } = context();
    const hold = faults.hold();
    const run = await disaggregate(p, d, 'r', prompt(23, 15), GREEDY);
    await hold.reached;
    p.bus.kill();
    const agentP = cluster.agents.get('agent-p')!.agent;
    await cluster.waitUntil('agent-p dropped P', () => agentP.stats().attachments === 0);
    hold.release();
    assert.equal((await run.decode).finishReason, 'abort');
    await cluster.waitUntil('D and the agents are free', () => {
      const stats = [...cluster.agents.values()].map((a) => a.agent.stats());
      return d.isIdle() && stats.every((s) => s.inbound === 0 && s.outbound === 0);
    });
  });

  it('every transaction step is idempotent and a restarted or foreign sender is refused', async () => {
    const { p, d, cluster } = context();
    // Two full blocks: decoding writes the next position into a third block, never into these.
    const out = d.submit('r', prompt(8, 16), GREEDY, { doRemotePrefill: true });
    const params = await d.core.remotePrefillReservation('r');
    const bus = await cluster.fabric.bus('fake-sender');
    const from = { agentId: 'fake-sender', epoch: 77 };
    const at = (op: Parameters<typeof subjects.kvXfer>[1]) => subjects.kvXfer('agent-d', op);
    const hs = await bus.request(
      at('handshake'),
      kvHandshakeCodec,
      {
        from,
        source: { ...p.connector.worker.getHandshakeMetadata() },
        targetInstanceId: 'D',
        targetEpoch: params.remoteEpoch!,
      },
      kvHandshakeReplyCodec,
    );
    const header = { transferId: params.transferId!, from, toEpoch: hs.epoch };
    const reserve = {
      ...header,
      targetInstanceId: 'D',
      targetEpoch: params.remoteEpoch!,
      numBlocks: 2,
      blockBytes: d.executor.kvPool.blockBytes,
    };
    await bus.request(at('reserve'), kvReserveCodec, reserve, kvAckCodec);
    await bus.request(at('reserve'), kvReserveCodec, reserve, kvAckCodec);
    const refused = (e: unknown) => e instanceof ServiceError && e.code === 'unavailable';
    await assert.rejects(
      bus.request(at('reserve'), kvReserveCodec, { ...reserve, toEpoch: hs.epoch + 1 }, kvAckCodec),
      refused,
    );
    await assert.rejects(
      bus.request(at('reserve'), kvReserveCodec, { ...reserve, from: { ...from, epoch: 78 } }, kvAckCodec),
      refused,
    );
    // The prefill engine's first blocks stand in for KV: written twice (a duplicate delivery).
    const items = [0, 1].map((i) => ({ index: i, bytes: p.executor.blockBytes(i).fill(i + 1) }));
    const transport = cluster.fabric.transport(bus, null);
    const job = {
      transferId: params.transferId!,
      from,
      to: { agentId: 'agent-d', epoch: hs.epoch },
      items,
      maxMessageBytes: hs.maxMessageBytes,
      signal: new AbortController().signal,
      source: p.executor.kvPool,
      targetBlockIds: params.remoteBlockIds!,
      session: hs,
    };
    await transport.send(job);
    await transport.send(job);
    const commit = {
      ...header,
      blockCrcs: items.map((x) => blockChecksum(x.bytes)),
      decodeState: { outputTokenIds: [5], rngState: [1, 2, 3, 4] as [number, number, number, number] },
    };
    for (let i = 0; i < 2; i++) {
      const reply = await bus.request(at('commit'), kvCommitCodec, commit, kvCommitReplyCodec);
      assert.equal(reply.status, 'committed');
    }
    const dBlocks = params.remoteBlockIds!;
    for (const [i, x] of items.entries()) {
      assert.ok(Buffer.from(d.executor.blockBytes(dBlocks[i])).equals(Buffer.from(x.bytes)));
    }
    const release = { ...header, reason: 'done' };
    assert.equal((await bus.request(at('release'), kvEndCodec, release, kvAckCodec)).known, true);
    assert.equal((await bus.request(at('release'), kvEndCodec, release, kvAckCodec)).known, false);
    assert.equal((await bus.request(at('abort'), kvEndCodec, release, kvAckCodec)).known, false);
    const result = await out;
    assert.equal(result.tokens[0], 5, 'decode continues from the committed decode state');
    assert.equal(result.tokens.length, 6);
    transport.close();
    await cluster.waitUntil('everything is free', () => cluster.allIdle());
  });
}
