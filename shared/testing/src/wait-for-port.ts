import { connect } from 'node:net';

/** The port did not accept a connection in time. */
export class PortWaitTimeoutError extends Error {
  override readonly name = 'PortWaitTimeoutError';
}

export interface WaitForPortOptions {
  host?: string;
  timeoutMs?: number;
  /** Stop waiting (rejecting with this signal's reason) when it aborts, e.g. because the server exited. */
  signal?: AbortSignal;
}

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves once `host:port` accepts a TCP connection, polling with exponential backoff (5 ms
 * doubling to 200 ms); rejects with PortWaitTimeoutError after `timeoutMs` (default 10 s).
 */
export async function waitForPort(port: number, options: WaitForPortOptions = {}): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let delayMs = 5;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await tryConnect(host, port)) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new PortWaitTimeoutError(`${host}:${port} accepted no connection in time`);
    await pause(Math.min(delayMs, left), options.signal);
    delayMs = Math.min(delayMs * 2, 200);
  }
}
