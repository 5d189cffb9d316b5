import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { cancelCodec, subjects } from '@pdserve/protocol';
import { type NatsServerHandle, startNatsServer } from '@pdserve/testing';
import { ClusterView } from './cluster-view.js';
import { InstanceRegistry } from './instance-registry.js';
import type { LiveInstance } from './instance-table.js';
import { NatsClient } from './nats-client.js';
import { silentLogger } from './runtime-logger.js';
import { testInstance, testLoad } from './test-fixtures.js';

/** Resolves with the first message on `subject` after it is called. */
function nextMessage(client: NatsClient, subject: string) {
  return new Promise<string>((resolve) => {
    const sub = client.subscribe(subject, cancelCodec, (m) => {
      sub.unsubscribe();
      resolve(m.requestId);
    });
  });
}

describe('NATS server restart', () => {
  let server: NatsServerHandle;
  let subscriber: NatsClient;
  let publisher: NatsClient;
  let instance: NatsClient;

  before(async () => {
    server = await startNatsServer({ jetstream: true });
    const connect = (name: string) =>
      NatsClient.connect({
        servers: server.url,
        name,
        logger: silentLogger,
        reconnectMinMs: 50,
        reconnectMaxMs: 200,
      });
    [subscriber, publisher, instance] = await Promise.all([
      connect('sub'),
      connect('pub'),
      connect('instance'),
    ]);
  });
  after(async () => {
    await Promise.all([subscriber.close(), publisher.close(), instance.close()]);
    await server.stop();
  });

  it('a subscription keeps receiving, and discovery keeps working, once the server is back', async () => {
    const subject = subjects.cancel('across-restart');
    const received: string[] = [];
    subscriber.subscribe(subject, cancelCodec, (m) => {
      received.push(m.requestId);
    });
    const view = new ClusterView(subscriber, { deadAfterMs: 5000 });
    await view.start();
    const registry = new InstanceRegistry(instance, { heartbeatMs: 100, ttlMs: 10_000 });
    const up = once(view, 'instance-up');
    await registry.register(testInstance('d0', 'decode'), () => testLoad());
    await up;

    const probe = nextMessage(subscriber, subject);
    await subscriber.flush();
    publisher.publish(subject, cancelCodec, { requestId: 'before' });
    assert.equal(await probe, 'before');

    const reconnected = Promise.all([once(subscriber, 'reconnect'), once(publisher, 'reconnect')]);
    const disconnected = once(subscriber, 'disconnect');
    await server.restart({ hard: true });
    await disconnected;
    await reconnected;
    assert.equal(subscriber.connected, true);

    const after = nextMessage(subscriber, subject);
    await subscriber.flush();
    publisher.publish(subject, cancelCodec, { requestId: 'after' });
    assert.equal(await after, 'after');
    assert.deepEqual(received, ['before', 'after']);

    // The view re-watches after the reconnect and sees the instance's next heartbeats.
    const seq = view.get('d0')?.heartbeat.seq ?? 0;
    await new Promise<LiveInstance>((resolve) => {
      const onUpdate = (i: LiveInstance) => i.heartbeat.seq > seq + 1 && resolve(i);
      view.on('instance-updated', onUpdate);
      view.on('instance-up', onUpdate);
    });
    assert.ok(view.get('d0'), 'the instance stays live across the restart');
    await registry.deregister();
    view.stop();
  });
});
