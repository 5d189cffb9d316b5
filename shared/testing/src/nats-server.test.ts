import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { findNatsServer, NatsServerNotFoundError, startNatsServer } from './nats-server.js';
import { waitForPort } from './wait-for-port.js';

/** The INFO line a NATS server sends first on every connection, parsed. */
function readInfo(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      socket.destroy();
      resolve(JSON.parse(text.slice('INFO '.length, end)));
    });
    socket.on('error', reject);
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('startNatsServer', () => {
  const servers: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
  });

  it('runs a JetStream server with an 8 MiB max payload on a free loopback port', async () => {
    const server = await startNatsServer({ jetstream: true });
    servers.push(server);
    assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
    const info = await readInfo(server.port);
    assert.equal(info.max_payload, 8 * 1024 * 1024);
    assert.equal(info.jetstream, true);
  });

  it('restarts on the same port, and pauses until resumed', async () => {
    const server = await startNatsServer({ jetstream: true });
    servers.push(server);
    const first = await readInfo(server.port);
    await server.restart();
    const second = await readInfo(server.port);
    assert.equal(second.port, server.port);
    assert.notEqual(second.server_id, first.server_id, 'a new server process answers');
    await server.pause({ hard: true });
    assert.ok(await refused(server.port), 'nothing listens while paused');
    await server.resume();
    await waitForPort(server.port, { timeoutMs: 1000 });
  });

  it('stops for good', async () => {
    const server = await startNatsServer();
    await server.stop();
    assert.ok(await refused(server.port));
  });
});

describe('findNatsServer', () => {
  it('finds the installed binary', () => {
    assert.match(findNatsServer(), /nats-server$/);
  });

  it('says what is wrong when the binary is missing', () => {
    const saved = process.env.PDSERVE_NATS_SERVER;
    process.env.PDSERVE_NATS_SERVER = '/nonexistent/nats-server';
    try {
      assert.throws(
        findNatsServer,
        (err: unknown) => err instanceof NatsServerNotFoundError && /not executable/.test(err.message),
      );
    } finally {
      if (saved === undefined) delete process.env.PDSERVE_NATS_SERVER;
      else process.env.PDSERVE_NATS_SERVER = saved;
    }
  });
});
