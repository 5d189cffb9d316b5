import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createModelEngine,
  EngineLoop,
  type ModelEngine,
  type RequestOutput,
  SamplingParams,
  type SamplingParamsInit,
} from '@pdserve/engine';
import { type LoadedModel, loadModel, modelFingerprint } from '@pdserve/model';
import type { KvTransferParams } from '@pdserve/protocol';
import { AgentKvConnector } from './agent-kv-connector.js';
import { inMemoryFabric } from './in-memory-fabric.js';
import { TestCluster } from './test-cluster.js';
import { TransportTestFaults } from './transport-test-faults.js';

const MODEL = fileURLToPath(new URL('../../../models/stories260K/stories260K.bin', import.meta.url));
const GREEDY: SamplingParamsInit = { temperature: 0, maxTokens: 24 };
const SEEDED: SamplingParamsInit = { temperature: 0.8, seed: 7, maxTokens: 24 };

/** One engine instance on the real model with its connector and a loop over its core. */
interface Instance {
  engine: ModelEngine;
  connector: AgentKvConnector;
  loop: EngineLoop;
}

function submit(
  inst: Instance,
  requestId: string,
  prompt: readonly number[],
  params: SamplingParamsInit,
  kvTransferParams: KvTransferParams,
): Promise<RequestOutput> {
  return new Promise((resolve, reject) => {
    const samplingParams = SamplingParams.create({ ...params, outputKind: 'finalOnly' });
    inst.loop.addRequest(
      { requestId, promptTokenIds: prompt, samplingParams, kvTransferParams },
      { push: (o) => o.finished && resolve(o), fail: reject },
    );
  });
}

/** D reserves, P prefills with D's params; resolves with D's final output (P's first token included). */
async function disaggregated(
  p: Instance,
  d: Instance,
  id: string,
  prompt: number[],
  params: SamplingParamsInit,
) {
  const decoded = submit(d, id, prompt, params, { doRemotePrefill: true });
  const reservation = await d.engine.llm.engineCore.remotePrefillReservation(id);
  const prefilled = submit(p, id, prompt, params, { ...reservation, doRemoteDecode: true });
  const [out, first] = await Promise.all([decoded, prefilled]);
  assert.deepEqual(
    first.outputs[0].tokenIds,
    out.outputs[0].tokenIds.slice(0, 1),
    'P sampled the first token',
  );
  return out.outputs[0].tokenIds;
}

function idle(inst: Instance): boolean {
  const core = inst.engine.llm.engineCore;
  const s = inst.connector.stats();
  return (
    core.kvCacheManager.numFreeBlocks === inst.engine.runner.numBlocks &&
    (core.kvConnector?.numDelayed ?? 0) === 0 &&
    s.recving === 0 &&
    s.sending === 0
  );
}

describe('disaggregated prefill/decode on stories260K (in-memory connector)', () => {
  let model: LoadedModel;
  let cluster: TestCluster;
  let faults: TransportTestFaults;
  let p: Instance;
  let d: Instance;
  let reference: ModelEngine;
  const prompts: number[][] = [];

  async function instance(id: string, agentId: string): Promise<Instance> {
    const fp = modelFingerprint(model);
    const bus = await cluster.fabric.bus(id);
    const timings = { leaseMs: 2000, requestTimeoutMs: 2000 };
    const connector = new AgentKvConnector({
      bus,
      instanceId: id,
      epoch: 1,
      agentId,
      modelFingerprint: fp,
      hashSeed: fp,
      ...timings,
    });
    const engine = createModelEngine(model, {
      numBlocks: 96,
      maxNumBatchedTokens: 48,
      kvConnector: connector,
    });
    await connector.ready();
    return { engine, connector, loop: new EngineLoop(engine.llm.engineCore, null) };
  }

  before(async () => {
    model = loadModel(MODEL);
    cluster = new TestCluster(inMemoryFabric(), {
      leaseMs: 2000,
      recvTimeoutMs: 10_000,
      sendTimeoutMs: 10_000,
      requestTimeoutMs: 2000,
    });
    faults = new TransportTestFaults();
    await cluster.agent('agent-p', faults);
    await cluster.agent('agent-d');
    p = await instance('P', 'agent-p');
    d = await instance('D', 'agent-d');
    reference = createModelEngine(model, { numBlocks: 96, maxNumBatchedTokens: 48 });
    const story = model.tokenizer.encode(
      'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.',
    );
    const shared = story.slice(0, 33);
    prompts.push(story.slice(0, 5), story.slice(0, 16), shared, [
      ...shared,
      ...model.tokenizer.encode(' One day she saw a big dog.'),
    ]);
  });

  after(async () => {
    for (const inst of [p, d]) {
      await inst.connector.close();
      inst.engine.close();
    }
    reference.close();
    await cluster.close();
  });

  for (const [name, params] of [
    ['greedy', GREEDY],
    ['seeded sampling', SEEDED],
  ] as const) {
    it(`gives exactly the colocated tokens (${name}), with chunked prompts and prefix hits on P`, async () => {
      const expected = await reference.llm.generate(
        prompts.map((t) => ({ promptTokenIds: t })),
        params,
      );
      const hitsBefore = p.engine.llm.engineCore.stats.prefixCacheStats.hits;
      // The first three concurrently (batched on both sides), the fourth after: it extends the third's prompt.
      const first = await Promise.all(
        prompts.slice(0, 3).map((t, i) => disaggregated(p, d, `${name}-${i}`, t, params)),
      );
      const last = await disaggregated(p, d, `${name}-3`, prompts[3], params);
      assert.deepEqual(
        [...first, last],
        expected.map((o) => o.outputs[0].tokenIds),
      );
      assert.ok(
        p.engine.llm.engineCore.stats.prefixCacheStats.hits - hitsBefore >= 32,
        'P reused the cached prefix',
      );
      await cluster.waitUntil(
        'both engines and the agents are free',
        () => idle(p) && idle(d) && cluster.allIdle(),
      );
    });
  }

  it('a request cancelled mid-transfer frees every block on both engines and at the agents', async () => {
    const hold = faults.hold();
    const decoded = submit(d, 'cancelled', prompts[3], GREEDY, { doRemotePrefill: true });
    const reservation = await d.engine.llm.engineCore.remotePrefillReservation('cancelled');
    const prefilled = submit(p, 'cancelled', prompts[3], GREEDY, { ...reservation, doRemoteDecode: true });
    await hold.reached;
    d.loop.abort('cancelled');
    p.loop.abort('cancelled');
    hold.release();
    assert.equal((await decoded).outputs[0].finishReason, 'abort');
    await prefilled;
    await cluster.waitUntil(
      'both engines and the agents are free',
      () => idle(p) && idle(d) && cluster.allIdle(),
    );
  });

  it('closing the connectors detaches the pools: the agents hold no lease at all', async () => {
    for (const inst of [p, d]) await inst.connector.close();
    const stats = [...cluster.agents.values()].map((a) => a.agent.stats());
    assert.deepEqual(stats, [
      { attachments: 0, inbound: 0, outbound: 0 },
      { attachments: 0, inbound: 0, outbound: 0 },
    ]);
  });
});
