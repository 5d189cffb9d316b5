import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type LoadReport,
  type RouteRequest,
  routeDecisionCodec,
  routeRequestCodec,
  ServiceError,
  subjects,
} from '@pdserve/protocol';
import { InstanceRegistry, NatsClient, silentLogger } from '@pdserve/runtime';
import { type NatsServerHandle, startNatsServer } from '@pdserve/testing';
import { RouterService } from './router-service.js';
import { SloPolicy } from './slo-policy.js';
import { hashes, instance } from './test-snapshots.js';

const BUCKET = 'pdserve-instances-slo-router-test';

/** A 'both' instance's load: 1000 tok/s prefill, step = 20 + 2 x batch, `running` held to the default TPOT. */
function load(running: number, queuedPromptTokens = 0): LoadReport {
  return {
    ...instance('x', 'both').load,
    prefillTokensPerS: 1000,
    queuedPromptTokens,
    numRunning: running,
    numWithoutTpotSlo: running,
    meanMaxTokens: 64,
    decodeStepMs: [
      { batchSize: 1, stepMs: 22 },
      { batchSize: 5, stepMs: 30 },
    ],
    timestampMs: Date.now(),
  };
}

describe('RouterService with the SLO policy over a real nats-server', () => {
  let server: NatsServerHandle;
  let client: NatsClient;
  let registry: InstanceRegistry;
  let router: RouterService;
  let current = load(0);
  let n = 0;

  const route = (over: Partial<RouteRequest> = {}) =>
    client.request(
      subjects.route('m'),
      routeRequestCodec,
      {
        requestId: `q${n++}`,
        model: 'm',
        numPromptTokens: 32,
        blockHashes: hashes(2),
        maxTokens: 64,
        arrivalTimeMs: 0,
        ...over,
      },
      routeDecisionCodec,
      { timeoutMs: 5000 },
    );

  before(async () => {
    server = await startNatsServer({ jetstream: true });
    client = await NatsClient.connect({ servers: server.url, name: 'slo-router-test', logger: silentLogger });
    // Beats only when the test says (beat()): the interval is longer than the test.
    registry = new InstanceRegistry(client, { heartbeatMs: 60_000, bucket: BUCKET });
    await registry.register({ ...instance('a', 'both').info, epoch: 3 }, () => current);
    router = new RouterService({
      client,
      policy: new SloPolicy({ maxQueueMs: 3000, queueFraction: 1 }),
      bucket: BUCKET,
      logger: silentLogger,
      maxQueueMs: 3000,
    });
    await router.start();
  });
  after(async () => {
    await router?.stop();
    await registry?.deregister().catch(() => {});
    await client?.close();
    await server?.stop();
  });

  it('counts its own placements as load until a heartbeat shows them, holding what does not fit', async () => {
    current = load(28);
    await registry.beat();
    await waitFor(() => router.learnedInputs('m')[0]?.batchSize === 28, 'the heartbeat');
    // The k-th placement (from 0) sees batch 29 + k: step 78 + 2k ms; those running also lose
    // (k + 1) x 32 pending prompt tokens over their 64 output tokens: 78.5 + 2.5k <= 90 for k = 0..4.
    for (let k = 0; k < 5; k++) assert.equal((await route()).predictedTpotMs, 78 + 2 * k);
    const held = route();
    await waitFor(() => router.queueLength === 1, 'the sixth request held');
    current = load(20);
    await registry.beat();
    assert.equal((await held).decodeInstanceId, 'a', 'placed once a heartbeat showed room');
    const stats = router.stats.snapshot();
    assert.deepEqual([stats.routed, stats.queued, stats.admittedAfterQueue, stats.queuedNow], [6, 1, 1, 0]);
  });

  it("rejects at once with 'overloaded' and Retry-After when TTFT cannot be met", async () => {
    current = load(0, 10_000); // 10 s of queued prefill
    await registry.beat();
    await waitFor(() => router.learnedInputs('m')[0]?.queuedPromptTokens >= 10_000, 'the heartbeat');
    await assert.rejects(
      route(),
      (e: unknown) => e instanceof ServiceError && e.code === 'overloaded' && (e.retryAfterS ?? 0) >= 8,
    );
    assert.equal(router.queueLength, 0);
    assert.equal(router.stats.snapshot().rejected, 1);
  });
});

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
