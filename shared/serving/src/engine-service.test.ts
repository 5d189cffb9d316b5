import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createModelEngine } from '@pdserve/engine';
import { type LoadedModel, loadModel } from '@pdserve/model';
import {
  type KvEventBatch,
  kvEventBatchCodec,
  ServiceError,
  type SubmitRequest,
  streamReplayCodec,
  streamReplayReplyCodec,
  subjects,
  submitReplyCodec,
  submitRequestCodec,
  type TokenBatch,
} from '@pdserve/protocol';
import { CancelBus, ClusterView, NatsClient, silentLogger, TokenStreamSubscriber } from '@pdserve/runtime';
import { type NatsServerHandle, startNatsServer } from '@pdserve/testing';
import { EngineService } from './engine-service.js';

const MODEL_PATH = fileURLToPath(new URL('../../../models/stories260K/stories260K.bin', import.meta.url));
const BUCKET = 'pdserve-instances-serving-test';

/** A stream's batches until the last one (keepalives never reach the iteration). */
async function collect(stream: TokenStreamSubscriber): Promise<TokenBatch[]> {
  const batches: TokenBatch[] = [];
  for await (const batch of stream) batches.push(batch);
  return batches;
}

describe('EngineService over a real nats-server (stories260K)', () => {
  let server: NatsServerHandle;
  let model: LoadedModel;
  let client: NatsClient;
  let service: EngineService;
  const kvBatches: KvEventBatch[] = [];
  let seq = 0;
  const submit = (over: Partial<SubmitRequest> = {}) =>
    client.request(
      subjects.submit('stories', service.info.id),
      submitRequestCodec,
      {
        requestId: `r${seq++}`,
        model: 'stories',
        promptTokenIds: model.tokenizer.encode('Once upon a time'),
        samplingParams: { temperature: 0, maxTokens: 12 },
        task: 'both',
        arrivalTimeMs: Date.now(),
        ...over,
      },
      submitReplyCodec,
    );

  before(async () => {
    server = await startNatsServer({ jetstream: true });
    client = await NatsClient.connect({ servers: server.url, name: 'serving-test', logger: silentLogger });
    model = loadModel(MODEL_PATH);
    client.subscribe(subjects.allKvEvents('stories'), kvEventBatchCodec, (b) => void kvBatches.push(b));
    service = new EngineService({
      client,
      model,
      servedModelName: 'stories',
      role: 'both',
      instanceId: 'both-0',
      engine: { numBlocks: 64 },
      heartbeatMs: 50,
      bucket: BUCKET,
      logger: silentLogger,
    });
    await service.start();
  });
  after(async () => {
    await service?.stop();
    await client?.close();
    await server?.stop();
  });

  it('registers its InstanceInfo in discovery and heartbeats its load', async () => {
    const view = new ClusterView(client, { bucket: BUCKET });
    await view.start();
    try {
      const live = view.get('both-0');
      assert.ok(live !== undefined);
      assert.deepEqual(
        [live.info.role, live.info.model, live.info.numBlocks, live.info.blockSize, live.info.maxModelLen],
        ['both', 'stories', 64, 16, 512],
      );
      assert.equal(live.info.hashSeed, service.engine.hashSeed);
      assert.equal(live.info.kvLayout.blockBytes, 5 * 2 * 16 * 4 * 8 * 4);
      assert.equal(live.heartbeat.load.numFreeBlocks, 64);
    } finally {
      view.stop();
    }
  });

  it('streams a submitted request as numbered batches equal to the engine, with usage', async () => {
    const stream = await TokenStreamSubscriber.open(client, `r${seq}`);
    const reply = await submit();
    assert.equal(reply.instanceId, 'both-0');
    const batches = await collect(stream);
    assert.deepEqual(
      batches.map((b) => b.seq),
      batches.map((_, i) => i),
    );
    const last = batches.at(-1) as TokenBatch;
    assert.equal(last.done, true);
    const tokens = batches.flatMap((b) => b.tokenIds);
    const ref = createModelEngine(model, { numBlocks: 64 });
    try {
      const [want] = await ref.llm.generate(
        { promptTokenIds: model.tokenizer.encode('Once upon a time') },
        {
          temperature: 0,
          maxTokens: 12,
        },
      );
      assert.deepEqual(tokens, want.outputs[0].tokenIds);
      assert.equal(batches.map((b) => b.text).join(''), want.outputs[0].text);
      assert.deepEqual(last.usage, { promptTokens: 5, completionTokens: tokens.length, cachedTokens: 0 });
    } finally {
      ref.close();
    }
  });

  it('answers a replay with the same batches, so a resumed stream neither repeats nor loses tokens', async () => {
    const id = `r${seq}`;
    const stream = await TokenStreamSubscriber.open(client, id);
    await submit({ samplingParams: { temperature: 0, maxTokens: 8, ignoreEos: true } });
    const live = await collect(stream);
    const replay = await client.request(
      subjects.streamReplay(id),
      streamReplayCodec,
      { requestId: id, fromSeq: 2 },
      streamReplayReplyCodec,
    );
    assert.deepEqual(replay.batches, live.slice(2));
  });

  it('publishes its prefix-cache events as batches numbered from 0', async () => {
    const long = Array.from({ length: 40 }, (_, i) => (i % 400) + 10);
    const stream = await TokenStreamSubscriber.open(client, `r${seq}`);
    await submit({ promptTokenIds: [1, ...long] });
    await collect(stream);
    await client.flush();
    assert.ok(kvBatches.length > 0);
    assert.deepEqual(
      kvBatches.map((b) => b.seq),
      kvBatches.map((_, i) => i),
    );
    const stored = kvBatches.flatMap((b) => b.events).filter((e) => e.type === 'BlockStored');
    assert.ok(
      stored.some((e) => e.type === 'BlockStored' && e.numTokens >= 32),
      'the 41-token prompt stored 2 full blocks',
    );
  });

  it('refuses what it cannot take with a ServiceError', async () => {
    const refused = async (over: Partial<SubmitRequest>, code: string) => {
      await assert.rejects(submit(over), (e: unknown) => e instanceof ServiceError && e.code === code);
    };
    await refused({ model: 'other' }, 'model_not_found');
    await refused({ task: 'prefill', kvTransferParams: { doRemoteDecode: true } }, 'unavailable');
    await refused({ promptTokenIds: [1, 9999] }, 'invalid_request');
    await refused({ samplingParams: { topP: 3 } }, 'invalid_request');
    await refused({ promptTokenIds: Array.from({ length: 600 }, () => 5) }, 'context_length_exceeded');
  });

  it('aborts on Cancel, freeing every block at once; a Cancel that comes first refuses the submit', async () => {
    const core = service.engine.llm.engineCore;
    const id = `r${seq}`;
    const stream = await TokenStreamSubscriber.open(client, id);
    await submit({ samplingParams: { maxTokens: 400, ignoreEos: true } });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    assert.ok(core.kvCacheManager.numFreeBlocks < 64, 'the request holds blocks');
    new CancelBus(client).cancel(id, 'test');
    let last: TokenBatch | undefined;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) last = r.value;
    assert.equal(last?.done, true);
    assert.equal(core.kvCacheManager.numFreeBlocks, 64);
    assert.equal(service.numActiveRequests, 0);
    const early = `r${seq}`;
    new CancelBus(client).cancel(early, 'before');
    await client.flush();
    await assert.rejects(submit(), (e: unknown) => e instanceof ServiceError && e.code === 'aborted');
  });

  it('stops cleanly: leaves discovery, fails open streams, removes its KV pool from /dev/shm', async () => {
    const stream = await TokenStreamSubscriber.open(client, `r${seq}`);
    await submit({ samplingParams: { maxTokens: 400, ignoreEos: true } });
    const shm = `/dev/shm${service.engine.runner.kvPool.name}`;
    assert.ok(existsSync(shm));
    await service.stop();
    await assert.rejects(
      collect(stream),
      (e: unknown) => e instanceof ServiceError && e.code === 'unavailable',
    );
    assert.equal(existsSync(shm), false);
    const view = new ClusterView(client, { bucket: BUCKET });
    await view.start();
    assert.equal(view.get('both-0'), undefined);
    view.stop();
  });
});
