import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type KvAgentInfo,
  kvAgentInfoCodec,
  kvInstanceRefCodec,
  listKvAgents,
  NatsKvBus,
} from '@pdserve/kv-connector';
import {
  CONFORMANCE_MODEL,
  colocated,
  disaggregate,
  natsFabric,
  prompt,
  TestCluster,
  watchBlockBytes,
} from '@pdserve/kv-connector/testing';
import { kvAgentSubjects } from '@pdserve/protocol';
import { NatsClient, silentLogger } from '@pdserve/runtime';
import { ManagedProcess, type NatsServerHandle, startNatsServer } from '@pdserve/testing';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** The agent service as a child process; resolves once it printed its ready line. */
async function startAgent(url: string, agentId: string): Promise<ManagedProcess> {
  const proc = await ManagedProcess.start({
    name: agentId,
    command: process.execPath,
    args: [MAIN, '--nats.servers', url, '--agent-id', agentId, '--lease-ms', '600'],
  });
  await proc.waitForOutput(/"ready":true/);
  return proc;
}

describe('the kv-connector agent as a child process', () => {
  let server: NatsServerHandle;
  let cluster: TestCluster;
  let probe: NatsClient;
  const agents = new Map<string, ManagedProcess>();

  async function agentInfo(agentId: string): Promise<KvAgentInfo> {
    const bus = new NatsKvBus(probe);
    return bus.request(
      kvAgentSubjects.op(agentId, 'info'),
      kvInstanceRefCodec,
      { instanceId: 'probe', instanceEpoch: 0 },
      kvAgentInfoCodec,
    );
  }

  before(async () => {
    server = await startNatsServer({ jetstream: true });
    probe = await NatsClient.connect({ servers: server.url, name: 'probe', logger: silentLogger });
    for (const id of ['agent-a', 'agent-b']) agents.set(id, await startAgent(server.url, id));
    cluster = new TestCluster(await natsFabric({ url: server.url }), {
      leaseMs: 600,
      recvTimeoutMs: 10_000,
      sendTimeoutMs: 10_000,
      requestTimeoutMs: 1000,
    });
  });

  after(async () => {
    await cluster.close();
    await probe.close();
    for (const a of agents.values()) await a.stop({ signal: 'SIGKILL' });
    await server.stop();
  });

  it('registers each agent (id, host, transports) in the agents bucket', async () => {
    const listed = await listKvAgents(probe);
    assert.deepEqual(listed.map((a) => a.agentId).sort(), ['agent-a', 'agent-b']);
    for (const a of listed) assert.deepEqual(a.transports, ['ucx', 'nats']); // UCX first, NATS behind it
  });

  it('moves blocks between engines attached to two agent processes; nothing stays held', async () => {
    const p = await cluster.engine('P', 'agent-a', { model: CONFORMANCE_MODEL });
    const d = await cluster.engine('D', 'agent-b', { model: CONFORMANCE_MODEL });
    const params = { temperature: 0.8, seed: 3, maxTokens: 6 };
    const toks = prompt(14, 21);
    const checkBytes = watchBlockBytes(p, d, 'r');
    const run = await disaggregate(p, d, 'r', toks, params);
    assert.deepEqual((await run.decode).tokens, await colocated(toks, params));
    checkBytes();
    assert.equal((await p.event('sendFinished', 'r')).ok, true);
    await cluster.waitUntil('the engines are free', () => p.isIdle() && d.isIdle());
    for (const id of ['agent-a', 'agent-b']) {
      const info = await agentInfo(id);
      // One engine stays attached to each; no transfer is held.
      assert.deepEqual(info.stats, { attachments: 1, inbound: 0, outbound: 0 }, id);
    }
  });

  it('a killed receiving agent process fails the transfer on both sides and frees every block', async () => {
    const p = await cluster.engine('P2', 'agent-a', { model: CONFORMANCE_MODEL });
    const d = await cluster.engine('D2', 'agent-b', { model: CONFORMANCE_MODEL });
    const decode = d.submit('k', prompt(9, 22), { temperature: 0, maxTokens: 4 }, { doRemotePrefill: true });
    const reservation = await d.core.remotePrefillReservation('k');
    await agents.get('agent-b')!.stop({ signal: 'SIGKILL' });
    const prefill = p.submit(
      'k',
      prompt(9, 22),
      { temperature: 0, maxTokens: 4 },
      { ...reservation, doRemoteDecode: true },
    );
    await prefill;
    assert.equal((await p.event('sendFinished', 'k')).ok, false);
    assert.equal((await decode).finishReason, 'abort');
    await cluster.waitUntil('the engines are free', () => p.isIdle() && d.isIdle());
    assert.equal((await agentInfo('agent-a')).stats?.outbound, 0);
  });
});
