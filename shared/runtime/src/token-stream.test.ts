import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type MessageCodec,
  ServiceError,
  streamReplayCodec,
  streamReplayReplyCodec,
  subjects,
  type TokenBatch,
  tokenBatchCodec,
} from '@pdserve/protocol';
import { type NatsServerHandle, startNatsServer } from '@pdserve/testing';
import { NatsClient } from './nats-client.js';
import { silentLogger } from './runtime-logger.js';
import { TokenStreamPublisher } from './token-stream-publisher.js';
import { TokenStreamSubscriber } from './token-stream-subscriber.js';

const raw = (requestId: string, seq: number, extra: Partial<TokenBatch> = {}): TokenBatch => ({
  requestId,
  seq,
  index: 0,
  tokenIds: [100 + seq],
  text: `t${seq}`,
  ...extra,
});

async function collect(stream: TokenStreamSubscriber): Promise<TokenBatch[]> {
  const out: TokenBatch[] = [];
  for await (const batch of stream) out.push(batch);
  return out;
}

const unavailable = (pattern: RegExp) => (e: unknown) =>
  e instanceof ServiceError && e.code === 'unavailable' && pattern.test(e.message);

describe('token streams', () => {
  let server: NatsServerHandle;
  let gateway: NatsClient;
  let decode: NatsClient;

  before(async () => {
    server = await startNatsServer();
    gateway = await NatsClient.connect({ servers: server.url, name: 'gateway', logger: silentLogger });
    decode = await NatsClient.connect({ servers: server.url, name: 'decode', logger: silentLogger });
  });
  after(async () => {
    await gateway.close();
    await decode.close();
    await server.stop();
  });

  it('delivers a stream in order and ends after the done batch', async () => {
    const stream = await TokenStreamSubscriber.open(gateway, 'in-order');
    const publisher = new TokenStreamPublisher(decode, 'in-order', { headers: { traceparent: 'tp' } });
    for (let i = 0; i < 5; i++) publisher.send({ index: 0, tokenIds: [i], text: `w${i}` });
    publisher.end({
      finishReason: 'length',
      usage: { promptTokens: 3, completionTokens: 5, cachedTokens: 0 },
    });
    const batches = await collect(stream);
    assert.deepEqual(
      batches.map((b) => b.seq),
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      batches.flatMap((b) => b.tokenIds),
      [0, 1, 2, 3, 4],
    );
    assert.equal(batches[5].done, true);
    assert.equal(batches[5].usage?.completionTokens, 5);
    assert.equal(stream.lastDeliveredSeq, 5);
    publisher.close();
  });

  it('reorders late batches and drops repeats', async () => {
    const stream = await TokenStreamSubscriber.open(gateway, 'shuffled');
    const subject = subjects.stream('shuffled');
    for (const seq of [2, 0, 0, 1, 2, 1]) decode.publish(subject, tokenBatchCodec, raw('shuffled', seq));
    decode.publish(subject, tokenBatchCodec, raw('shuffled', 3, { done: true }));
    const batches = await collect(stream);
    assert.deepEqual(
      batches.map((b) => b.seq),
      [0, 1, 2, 3],
    );
    assert.deepEqual(
      batches.map((b) => b.text),
      ['t0', 't1', 't2', 't3'],
    );
  });

  it('fills a lost batch from the publisher by replay', async () => {
    const stream = await TokenStreamSubscriber.open(gateway, 'lossy', { gapTimeoutMs: 20 });
    const publisher = new TokenStreamPublisher(lossyClient(decode, [2]), 'lossy', { keepaliveMs: 0 });
    for (let i = 0; i < 5; i++) publisher.send({ index: 0, tokenIds: [i], text: '' });
    publisher.end();
    const batches = await collect(stream);
    assert.deepEqual(
      batches.map((b) => b.seq),
      [0, 1, 2, 3, 4, 5],
    );
    publisher.close();
  });

  it('recovers a lost last batch: keepalives tell the subscriber it exists', async () => {
    const stream = await TokenStreamSubscriber.open(gateway, 'lost-tail', { gapTimeoutMs: 20 });
    const publisher = new TokenStreamPublisher(lossyClient(decode, [1]), 'lost-tail', { keepaliveMs: 30 });
    publisher.send({ index: 0, tokenIds: [7], text: 'x' });
    publisher.end(); // seq 1, dropped
    const batches = await collect(stream);
    assert.deepEqual(
      batches.map((b) => [b.seq, b.done === true]),
      [
        [0, false],
        [1, true],
      ],
    );
    publisher.close();
  });

  it('fails with unavailable when a gap cannot be filled', async () => {
    const stream = await TokenStreamSubscriber.open(gateway, 'gone', { gapTimeoutMs: 20 });
    const subject = subjects.stream('gone');
    decode.publish(subject, tokenBatchCodec, raw('gone', 0));
    decode.publish(subject, tokenBatchCodec, raw('gone', 2));
    // Nobody answers replays (the publisher died): the stream fails instead of waiting.
    await assert.rejects(collect(stream), unavailable(/lost batches from seq 1: no service listens/));
  });

  it('fails with unavailable when the publisher no longer holds the batch', async () => {
    const stream = await TokenStreamSubscriber.open(gateway, 'evicted', { gapTimeoutMs: 20 });
    const publisher = new TokenStreamPublisher(lossyClient(decode, [0]), 'evicted', {
      replayLimit: 2,
      keepaliveMs: 0,
    });
    for (let i = 0; i < 4; i++) publisher.send({ index: 0, tokenIds: [i], text: '' });
    await assert.rejects(collect(stream), unavailable(/seq 0 is no longer held \(oldest 2\)/));
    publisher.close();
  });

  it('fails within the bound when the publisher goes silent', async () => {
    const idleTimeoutMs = 300;
    const stream = await TokenStreamSubscriber.open(gateway, 'silent', { idleTimeoutMs });
    const publisher = new TokenStreamPublisher(decode, 'silent', { keepaliveMs: 0 });
    publisher.send({ index: 0, tokenIds: [1], text: 'a' });
    const start = Date.now();
    const received: number[] = [];
    const consume = (async () => {
      for await (const b of stream) received.push(b.seq);
    })();
    await assert.rejects(consume, unavailable(/no batch or keepalive for 300 ms.*last delivered seq 0/));
    const took = Date.now() - start;
    assert.deepEqual(received, [0]);
    assert.ok(took >= idleTimeoutMs - 50 && took < idleTimeoutMs + 300, `failed after ${took} ms`);
    publisher.close();
  });

  it('keepalives hold a quiet stream open past the idle bound', async () => {
    const stream = await TokenStreamSubscriber.open(gateway, 'quiet', { idleTimeoutMs: 150 });
    const publisher = new TokenStreamPublisher(decode, 'quiet', { keepaliveMs: 40 });
    publisher.send({ index: 0, tokenIds: [1], text: 'a' });
    // Quiet for 3x the idle bound (a long prefill elsewhere), then the rest.
    const timer = setTimeout(() => publisher.end({ finishReason: 'stop' }), 450);
    const batches = await collect(stream);
    clearTimeout(timer);
    assert.deepEqual(
      batches.map((b) => b.seq),
      [0, 1],
    );
    publisher.close();
  });

  it('ends with the error a publisher sends', async () => {
    const stream = await TokenStreamSubscriber.open(gateway, 'failed');
    const publisher = new TokenStreamPublisher(decode, 'failed');
    publisher.send({ index: 0, tokenIds: [1], text: 'a' });
    publisher.fail(new ServiceError('aborted', 'cancelled by the client'));
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const b of stream) seen.push(b.seq);
      })(),
      (e: unknown) => e instanceof ServiceError && e.code === 'aborted',
    );
    assert.deepEqual(seen, [0]);
    assert.throws(() => publisher.send({ index: 0, tokenIds: [], text: '' }), /already ended/);
    publisher.close();
  });

  it('resumes a stream from a later seq without repeating', async () => {
    const stream = await TokenStreamSubscriber.open(gateway, 'resumed', { startSeq: 3 });
    const publisher = new TokenStreamPublisher(decode, 'resumed', { startSeq: 2 });
    publisher.send({ index: 0, tokenIds: [2], text: '' }); // already delivered before the move
    publisher.send({ index: 0, tokenIds: [3], text: '' });
    publisher.end();
    assert.deepEqual(
      (await collect(stream)).map((b) => b.seq),
      [3, 4],
    );
    publisher.close();
  });

  it('serves replays of what it holds', async () => {
    const publisher = new TokenStreamPublisher(decode, 'replayed', { keepaliveMs: 0, replayBatchLimit: 2 });
    for (let i = 0; i < 4; i++) publisher.send({ index: 0, tokenIds: [i], text: '' });
    await decode.flush();
    const ask = (fromSeq: number) =>
      gateway.request(
        subjects.streamReplay('replayed'),
        streamReplayCodec,
        { requestId: 'replayed', fromSeq },
        streamReplayReplyCodec,
      );
    assert.deepEqual(
      (await ask(1)).batches.map((b) => b.seq),
      [1, 2],
    );
    assert.deepEqual((await ask(9)).batches, []);
    publisher.close();
  });
});

/** `client` with the TokenBatches of the given seqs dropped once (a message lost in transit). */
function lossyClient(client: NatsClient, dropSeqs: number[]): NatsClient {
  const drop = new Set(dropSeqs);
  return new Proxy(client, {
    get(target, prop) {
      if (prop !== 'publish') {
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return <T>(subject: string, codec: MessageCodec<T>, message: T, options?: object) => {
        const batch = message as TokenBatch;
        if (codec === (tokenBatchCodec as unknown) && batch.keepalive !== true && drop.delete(batch.seq))
          return;
        target.publish(subject, codec, message, options);
      };
    },
  });
}
