import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { freePort } from './free-port.js';
import { ManagedProcess, ProcessStartError } from './managed-process.js';
import { PortWaitTimeoutError, waitForPort } from './wait-for-port.js';

describe('ManagedProcess', () => {
  it('captures output and reports the exit', async () => {
    const child = await ManagedProcess.start({
      name: 'echo',
      command: process.execPath,
      args: ['-e', 'console.log("out"); console.error("err"); process.exit(3)'],
    });
    const exit = await child.exited;
    assert.equal(exit.code, 3);
    assert.match(child.logs(), /out/);
    assert.match(child.logs(), /err/);
    assert.equal(child.running, false);
    await assert.rejects(child.waitForOutput(/never/), /exited before printing/);
  });

  it('stops a process that ignores SIGTERM with SIGKILL after the timeout', async () => {
    const child = await ManagedProcess.start({
      name: 'stubborn',
      command: process.execPath,
      args: ['-e', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'],
    });
    await child.waitForOutput(/ready/); // printed once the handler is installed
    const exit = await child.stop({ timeoutMs: 200 });
    assert.equal(exit.signal, 'SIGKILL');
  });

  it('fails to start a missing executable with ProcessStartError', async () => {
    await assert.rejects(
      ManagedProcess.start({ name: 'ghost', command: '/nonexistent/binary' }),
      (err: unknown) => err instanceof ProcessStartError && /ghost/.test(err.message),
    );
  });
});

describe('freePort and waitForPort', () => {
  it('finds a bindable port and sees it accept connections', async () => {
    const port = await freePort();
    await assert.rejects(waitForPort(port, { timeoutMs: 50 }), PortWaitTimeoutError);
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await waitForPort(port, { timeoutMs: 1000 });
    } finally {
      server.close();
    }
  });
});
