import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChildService } from '../serve/child-service.js';
import { NatsServerProcess } from '../serve/nats-server-process.js';
import { REPO_ROOT, SERVICE_MAINS } from '../serve/service-paths.js';
import { expectError, instancesOf, MODEL_PATH, post, stopOnExit, waitUntil } from './e2e-support.js';

/**
 * The gateway before the cluster is complete, services started by the test one by one: no
 * instance, then an instance but no router, give 503 'unavailable' with Retry-After; once a router
 * runs the same request succeeds; a chosen instance that does not answer (SIGSTOP) costs one
 * submit timeout and the request runs elsewhere; an instance that leaves is forgotten.
 */
describe('gateway in NATS mode while the cluster comes and goes', () => {
  let nats: NatsServerProcess;
  const services = new Map<string, ChildService>();
  let url = '';
  const lines: string[] = [];

  const start = async (name: string, main: string, args: string[]) => {
    const child = new ChildService({
      name,
      command: process.execPath,
      args: [main, '--nats', nats.url, ...args],
      cwd: REPO_ROOT,
      log: (l) => lines.push(l),
    });
    services.set(name, child);
    return child.ready;
  };
  const complete = () => post(url, '/v1/completions', { prompt: 'Once upon a time', max_tokens: 4 });

  before(async () => {
    stopOnExit(() => [...services.values(), ...(nats ? [nats.service] : [])]);
    nats = await NatsServerProcess.start({ log: (l) => lines.push(l) });
    const gateway = await start('gateway', SERVICE_MAINS.gateway, [
      '--model',
      MODEL_PATH,
      '--port',
      '0',
      '--cluster.route-timeout-ms',
      '500',
      '--cluster.submit-timeout-ms',
      '500',
    ]);
    url = String(gateway.url);
  });
  after(async () => {
    for (const s of [...services.values()].reverse()) await s.stop();
    await nats?.stop();
  });

  it("answers 503 'unavailable' with Retry-After while no instance serves the model", async () => {
    const res = await complete();
    assert.equal(res.headers.get('retry-after'), '1');
    await expectError(res, 503, 'unavailable');
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 503);
  });

  it('answers 503 while an instance serves but no router runs, and 200 once one does', async () => {
    await start('decode', SERVICE_MAINS.decode, [
      '--model',
      MODEL_PATH,
      '--role',
      'both',
      '--engine.num-blocks',
      '32',
    ]);
    await waitUntil(
      async () => (await instancesOf(url)).length === 1,
      10_000,
      'the gateway to see the instance',
    );
    const res = await complete();
    assert.equal(res.headers.get('retry-after'), '1');
    await expectError(res, 503, 'unavailable');
    await start('router', SERVICE_MAINS.router, []);
    const ok = await complete();
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal((await fetch(`${url}/health`)).status, 200);
  });

  it('places the request on another instance when the one the router chose does not answer', async () => {
    // Two idle instances tie, and the router breaks ties by id: it picks 'decode' (< 'decode-z').
    await start('decode-z', SERVICE_MAINS.decode, [
      '--model',
      MODEL_PATH,
      '--role',
      'both',
      '--instance-id',
      'decode-z',
      '--engine.num-blocks',
      '32',
    ]);
    await waitUntil(
      async () => (await instancesOf(url)).length === 2,
      10_000,
      'the gateway to see both instances',
    );
    const frozen = services.get('decode')?.pid as number;
    process.kill(frozen, 'SIGSTOP');
    try {
      const res = await complete();
      assert.equal(res.status, 200, await res.clone().text());
    } finally {
      process.kill(frozen, 'SIGCONT');
    }
    await services.get('decode-z')?.stop();
    await waitUntil(async () => (await instancesOf(url)).length === 1, 10_000, 'decode-z to leave');
  });

  it('forgets an instance that stops, and is unavailable again', async () => {
    await services.get('decode')?.stop();
    await waitUntil(async () => (await instancesOf(url)).length === 0, 10_000, 'the instance to leave');
    await expectError(await complete(), 503, 'unavailable');
  });
});
