import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { instancesOf, post, recentLogs, type ServeProcess, startServe } from './e2e-support.js';

/** True when something accepts TCP connections at `url`'s port on loopback. */
function listening(url: string): Promise<boolean> {
  const port = Number(new URL(url.replace(/^nats:/, 'http:')).port);
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `pdserve serve` as a supervisor: settings from a config file, and what it does when a child dies. */
describe('pdserve serve: config file and a child that dies', () => {
  let serve: ServeProcess;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pdserve-serve-test-'));
    const config = join(dir, 'serve.json');
    writeFileSync(
      config,
      JSON.stringify({ prefill: 0, decode: 1, apiKey: 'sekret', numBlocks: 32, servedModelName: 'tiny' }),
    );
    serve = await startServe(['--config', config]);
  });
  after(() => {
    serve?.cli.killNow();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes its settings from the --config file (API key, model name, topology)', async () => {
    const body = { model: 'tiny', prompt: 'Once upon a time', max_tokens: 4 };
    assert.equal((await post(serve.url, '/v1/completions', body)).status, 401);
    const ok = await post(serve.url, '/v1/completions', body, {
      headers: { 'content-type': 'application/json', authorization: 'Bearer sekret' },
    });
    assert.equal(ok.status, 200);
    const instances = await instancesOf(serve.url);
    assert.deepEqual(
      instances.map((i) => [i.role, i.numBlocks]),
      [['both', 32]],
    );
  });

  it('reports a child that dies, stops the others and exits 1', async () => {
    const [decode] = (await instancesOf(serve.url)) as { pid?: number }[];
    assert.ok(decode.pid !== undefined);
    process.kill(decode.pid, 'SIGKILL');
    const exit = await serve.cli.exited;
    // A process killed with SIGKILL cannot unlink its KV pool: remove what it left in /dev/shm.
    const leftover = readdirSync('/dev/shm').filter((f) => f.startsWith(`pdserve-kv-${decode.pid}-`));
    for (const f of leftover) rmSync(join('/dev/shm', f), { force: true });
    assert.equal(exit.code, 1, recentLogs());
    assert.match(recentLogs(), /decode-0 exited unexpectedly \(signal SIGKILL\)/);
    assert.equal(await listening(serve.url), false, 'the gateway is gone');
    assert.equal(await listening(serve.natsUrl), false, 'nats-server is gone');
  });
});
