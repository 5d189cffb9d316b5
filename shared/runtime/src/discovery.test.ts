import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InstanceInfo } from '@pdserve/protocol';
import { type NatsServerHandle, startNatsServer } from '@pdserve/testing';
import { ClusterView } from './cluster-view.js';
import { InstanceRegistry } from './instance-registry.js';
import type { DeadReason, LiveInstance } from './instance-table.js';
import { NatsClient } from './nats-client.js';
import { silentLogger } from './runtime-logger.js';
import { testInstance, testLoad } from './test-fixtures.js';

const HEARTBEAT_MS = 100;
const DEAD_AFTER_MS = 400;
const TTL_MS = 1000;

/** Resolves with the next event of `name` for which `match` holds. */
function nextEvent<A extends unknown[]>(view: ClusterView, name: string, match: (...args: A) => boolean) {
  return new Promise<A>((resolve) => {
    const listener = (...args: unknown[]) => {
      if (!match(...(args as A))) return;
      view.off(name as 'instance-up', listener);
      resolve(args as A);
    };
    view.on(name as 'instance-up', listener);
  });
}

const upOf = (view: ClusterView, id: string) =>
  nextEvent<[LiveInstance]>(view, 'instance-up', (i) => i.info.id === id);
const deadOf = (view: ClusterView, id: string) =>
  nextEvent<[InstanceInfo, DeadReason]>(view, 'instance-dead', (info) => info.id === id);

describe('discovery: InstanceRegistry and ClusterView', () => {
  let server: NatsServerHandle;
  const clients: NatsClient[] = [];
  const connect = async (name: string) => {
    const client = await NatsClient.connect({ servers: server.url, name, logger: silentLogger });
    clients.push(client);
    return client;
  };
  /** A registry on its own connection, as in its own process; closing the client is that process dying. */
  const registry = async (name: string) => {
    const client = await connect(name);
    return Object.assign(new InstanceRegistry(client, { heartbeatMs: HEARTBEAT_MS, ttlMs: TTL_MS }), {
      client,
    });
  };
  let view: ClusterView;

  before(async () => {
    server = await startNatsServer({ jetstream: true });
    view = new ClusterView(await connect('router'), { deadAfterMs: DEAD_AFTER_MS, ttlMs: TTL_MS });
    await view.start();
  });
  after(async () => {
    view.stop();
    for (const client of clients) await client.close();
    await server.stop();
  });

  it('sees two registered instances, their roles and heartbeats', async () => {
    const upP = upOf(view, 'p0');
    const upD = upOf(view, 'd0');
    await (await registry('p0')).register(testInstance('p0', 'prefill'), () => testLoad(1));
    const decode = await registry('d0');
    let running = 0;
    await decode.register(testInstance('d0', 'decode'), () => testLoad(running++));
    await Promise.all([upP, upD]);
    assert.deepEqual(
      view.instances({ role: 'prefill' }).map((i) => i.info.id),
      ['p0'],
    );
    assert.deepEqual(
      view.instances({ model: 'tiny', role: ['decode', 'both'] }).map((i) => i.info.id),
      ['d0'],
    );
    // Heartbeats carry fresh load reports.
    await nextEvent<[LiveInstance]>(
      view,
      'instance-updated',
      (i) => i.info.id === 'd0' && i.heartbeat.load.numRunning >= 2,
    );
    assert.ok((view.get('d0')?.heartbeat.seq ?? 0) >= 2);
  });

  it('a view started later loads the current instances', async () => {
    const late = new ClusterView(await connect('late'), { deadAfterMs: DEAD_AFTER_MS });
    await late.start();
    try {
      const ids = late
        .instances()
        .map((i) => i.info.id)
        .sort();
      assert.deepEqual(ids, ['d0', 'p0']);
    } finally {
      late.stop();
    }
  });

  it('an instance that stops heartbeating is dead within the bound, before the bucket purges it', async () => {
    const crashed = await registry('p1');
    await crashed.register(testInstance('p1', 'prefill'), () => testLoad());
    await (view.get('p1') ? Promise.resolve() : upOf(view, 'p1'));
    const dead = deadOf(view, 'p1');
    const crashedAt = Date.now();
    await crashed.client.close(); // the process dies: no deregister, no more beats
    const [info, reason] = await dead;
    const took = Date.now() - crashedAt;
    assert.equal(info.id, 'p1');
    assert.equal(reason, 'expired');
    assert.ok(took <= DEAD_AFTER_MS + HEARTBEAT_MS + 200, `seen dead after ${took} ms`);
    assert.equal(view.get('p1'), undefined);
    assert.ok(view.get('p0') && view.get('d0'), 'the others live on');
  });

  it('deregistering removes an instance at once; a restart with a new epoch replaces it', async () => {
    const first = await registry('b0');
    await first.register(testInstance('b0', 'both', 'tiny', 1), () => testLoad());
    await (view.get('b0') ? Promise.resolve() : upOf(view, 'b0'));
    const gone = deadOf(view, 'b0');
    await first.deregister();
    assert.deepEqual((await gone)[1], 'deregistered');

    const again = await registry('b0-again');
    await again.register(testInstance('b0', 'both', 'tiny', 2), () => testLoad());
    await (view.get('b0') ? Promise.resolve() : upOf(view, 'b0'));
    await again.client.close(); // dies, and restarts (epoch 3) before the view calls it dead
    const replaced = deadOf(view, 'b0');
    const restarted = upOf(view, 'b0');
    const third = await registry('b0-third');
    await third.register(testInstance('b0', 'both', 'tiny', 3), () => testLoad());
    const [oldInfo, reason] = await replaced;
    assert.deepEqual([oldInfo.epoch, reason], [2, 'replaced']);
    assert.equal((await restarted)[0].info.epoch, 3);
    await third.deregister();
  });

  it('refuses to register twice', async () => {
    const r = await registry('twice');
    await r.register(testInstance('t0', 'decode'), () => testLoad());
    await assert.rejects(
      r.register(testInstance('t0', 'decode'), () => testLoad()),
      /already registered/,
    );
    await r.deregister();
    assert.equal(r.registered, false);
  });
});
