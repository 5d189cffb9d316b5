import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type InstanceInfo,
  type InstanceRole,
  kvEventBatchCodec,
  type RouteRequest,
  routeDecisionCodec,
  routeRequestCodec,
  ServiceError,
  subjects,
} from '@pdserve/protocol';
import { InstanceRegistry, NatsClient, silentLogger } from '@pdserve/runtime';
import { type NatsServerHandle, startNatsServer } from '@pdserve/testing';
import { HeuristicPolicy } from './heuristic-policy.js';
import { RouterService } from './router-service.js';
import { hashes, instance } from './test-snapshots.js';

const BUCKET = 'pdserve-instances-routing-test';

function info(id: string, role: InstanceRole): InstanceInfo {
  return { ...instance(id, role).info, model: 'm', epoch: 7 };
}

const quiet = () => instance('x', 'both').load;

/** Resolves once `cond` holds (the router follows discovery asynchronously); fails after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RouterService over a real nats-server', () => {
  let server: NatsServerHandle;
  let client: NatsClient;
  const registries: InstanceRegistry[] = [];
  const routers: RouterService[] = [];
  let n = 0;

  const register = async (id: string, role: InstanceRole) => {
    const registry = new InstanceRegistry(client, { heartbeatMs: 100, bucket: BUCKET });
    await registry.register(info(id, role), quiet);
    registries.push(registry);
    return registry;
  };
  const startRouter = async () => {
    const router = new RouterService({
      client,
      policy: new HeuristicPolicy(),
      bucket: BUCKET,
      logger: silentLogger,
    });
    await router.start();
    routers.push(router);
    return router;
  };
  const route = (over: Partial<RouteRequest> = {}) =>
    client.request(
      subjects.route('m'),
      routeRequestCodec,
      {
        requestId: `q${n++}`,
        model: 'm',
        numPromptTokens: 64,
        blockHashes: hashes(4),
        maxTokens: 8,
        arrivalTimeMs: 0,
        ...over,
      },
      routeDecisionCodec,
    );
  const publishKv = (instanceId: string, seq: number, stored: string[]) =>
    client.publish(subjects.kvEvents('m', instanceId), kvEventBatchCodec, {
      instanceId,
      epoch: 7,
      seq,
      events: [
        { type: 'BlockStored', blockHashes: stored, parentBlockHash: null, numTokens: 16 * stored.length },
      ],
    });
  /** Waits until the router saw everything published so far (a round trip through the server). */
  const settle = async () => {
    await client.flush();
    await new Promise((r) => setImmediate(r));
  };

  before(async () => {
    server = await startNatsServer({ jetstream: true });
    client = await NatsClient.connect({ servers: server.url, name: 'routing-test', logger: silentLogger });
  });
  after(async () => {
    for (const r of routers) await r.stop();
    for (const r of registries) await r.deregister().catch(() => {});
    await client?.close();
    await server?.stop();
  });

  it("answers 'unavailable' while no instance serves the model", async () => {
    await startRouter();
    await assert.rejects(route(), (e: unknown) => e instanceof ServiceError && e.code === 'unavailable');
  });

  it('routes to the instance whose prefix cache holds the prompt, as its KV events say', async () => {
    await register('a', 'both');
    await register('b', 'both');
    const router = routers[0];
    await until(() => router.state.snapshot('m').instances.length === 2, '2 live instances');
    assert.equal((await route()).decodeInstanceId, 'a', 'ties go by id');
    publishKv('b', 0, hashes(4));
    await settle();
    const d = await route();
    assert.deepEqual([d.decodeInstanceId, d.numCachedTokens], ['b', 63]);
  });

  it('drops what it knew of an instance when its KV events skip a number (resync)', async () => {
    const router = routers[0];
    publishKv('b', 2, ['other']);
    await settle();
    assert.equal(router.state.prefixIndex('b')?.resyncs, 1);
    assert.equal((await route()).decodeInstanceId, 'a');
  });

  it('shares the route subject with other routers: each request is answered once', async () => {
    const second = await startRouter();
    await until(() => second.state.snapshot('m').instances.length === 2, '2 live instances');
    const before = routers.reduce((sum, r) => sum + r.routed, 0);
    await Promise.all(Array.from({ length: 20 }, () => route()));
    assert.equal(routers.reduce((sum, r) => sum + r.routed, 0) - before, 20);
  });

  it('stops routing to an instance that left', async () => {
    await registries[0].deregister();
    for (const router of routers) {
      await until(() => router.state.snapshot('m').instances.length === 1, '1 live instances');
    }
    const decisions = await Promise.all(Array.from({ length: 4 }, () => route({ blockHashes: [] })));
    assert.deepEqual(new Set(decisions.map((d) => d.decodeInstanceId)), new Set(['b']));
  });
});
