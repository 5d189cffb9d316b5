import { createServer } from 'node:net';

/**
 * A TCP port on `host` that was free a moment ago (the OS picked it for a listener that is closed
 * again). Another process may take it before the caller binds, so callers that start a server on
 * it retry with a new port when the bind fails.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS gave no port'))));
    });
  });
}
