import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { onProcessExit } from './exit-cleanup.js';
import { freePort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';
import { waitForPort } from './wait-for-port.js';

/** No nats-server executable was found; the message says how to install one. */
export class NatsServerNotFoundError extends Error {
  override readonly name = 'NatsServerNotFoundError';
}

/** nats-server started but did not accept connections (its log is in the message). */
export class NatsServerStartError extends Error {
  override readonly name = 'NatsServerStartError';
}

export interface NatsServerOptions {
  /** Enable JetStream (needed for the KV bucket), with a store in a temp dir. */
  jetstream?: boolean;
  /** The server's max_payload, default 8 MiB (KV chunks; the server's own default is 1 MiB). */
  maxPayloadBytes?: number;
  /** How long to wait for it to accept connections, default 10 s. */
  startTimeoutMs?: number;
  /** Copy the server's log to stderr. */
  echo?: boolean;
}

/** A running test nats-server, returned by startNatsServer. */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Kills the server for good and removes its temp dir. */
  stop(): Promise<void>;
  /** Stops the server (SIGKILL when `hard`), keeping its JetStream store, until resume(). */
  pause(options?: { hard?: boolean }): Promise<void>;
  /** Starts a paused server again on the same port with the same store. */
  resume(): Promise<void>;
  /** pause() then resume(): clients see the connection drop and come back. */
  restart(options?: { hard?: boolean }): Promise<void>;
  /** The log of the current (or last) server process. */
  logs(): string;
}

const INSTALL_HINT =
  'nats-server is not installed: run `bash scripts/setup.sh` (or `sudo apt-get install nats-server`), ' +
  'or set PDSERVE_NATS_SERVER to its path';

/** The nats-server executable: $PDSERVE_NATS_SERVER, else the first on PATH or in the sbin/bin dirs. */
export function findNatsServer(): string {
  const explicit = process.env.PDSERVE_NATS_SERVER;
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/bin',
    '/usr/local/bin',
    '/sbin',
  ];
  const candidates = explicit ? [explicit] : dirs.filter((d) => d !== '').map((d) => join(d, 'nats-server'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new NatsServerNotFoundError(
    explicit ? `PDSERVE_NATS_SERVER=${explicit} is not executable` : INSTALL_HINT,
  );
}

function writeConfig(dir: string, port: number, options: NatsServerOptions): string {
  const lines = [`listen: "127.0.0.1:${port}"`, `max_payload: ${options.maxPayloadBytes ?? 8 * 1024 * 1024}`];
  if (options.jetstream) {
    lines.push(`jetstream {`, `  store_dir: ${JSON.stringify(join(dir, 'jetstream'))}`);
    lines.push(`  max_memory_store: 268435456`, `  max_file_store: 1073741824`, `}`);
  }
  const file = join(dir, 'nats-server.conf');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function launch(binary: string, config: string, port: number, options: NatsServerOptions) {
  const server = await ManagedProcess.start({
    name: `nats-server:${port}`,
    command: binary,
    args: ['-c', config],
    echo: options.echo === true,
  });
  const exited = new AbortController();
  void server.exited.then(() => exited.abort(new Error('nats-server exited')));
  try {
    await waitForPort(port, { timeoutMs: options.startTimeoutMs ?? 10_000, signal: exited.signal });
    return server;
  } catch (cause) {
    await server.stop({ signal: 'SIGKILL' });
    throw new NatsServerStartError(`nats-server on port ${port} did not start:\n${server.logs()}`, { cause });
  }
}

async function launchWithRetry(binary: string, dir: string, port: number | null, options: NatsServerOptions) {
  for (let attempt = 1; ; attempt++) {
    const chosen = port ?? (await freePort());
    const config = writeConfig(dir, chosen, options);
    try {
      return { port: chosen, server: await launch(binary, config, chosen, options) };
    } catch (err) {
      // Another process may have taken the port between freePort and the bind.
      const busy = err instanceof Error && /address already in use/i.test(err.message);
      if (!busy || attempt >= 5) throw err;
      // A fixed port (restart) frees up once the old socket is gone: back off a little.
      if (port !== null) await delay(50 * attempt);
    }
  }
}

/**
 * Starts a real nats-server for a test on a free loopback port (max_payload 8 MiB, JetStream in a
 * temp dir when asked) and resolves once it accepts connections. The server is killed and the
 * dir removed when the test process exits, even without stop(). Throws NatsServerNotFoundError
 * (with install instructions) when nats-server is missing.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = findNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'pdserve-nats-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onProcessExit(removeDir);
  let { port, server } = await launchWithRetry(binary, dir, null, options);
  let paused = false;
  const handle: NatsServerHandle = {
    url: `nats://127.0.0.1:${port}`,
    port,
    logs: () => server.logs(),
    async pause({ hard = false } = {}) {
      paused = true;
      await server.stop({ signal: hard ? 'SIGKILL' : 'SIGTERM' });
    },
    async resume() {
      if (!paused) return;
      ({ port, server } = await launchWithRetry(binary, dir, port, options));
      paused = false;
    },
    async restart(restartOptions) {
      await handle.pause(restartOptions);
      await handle.resume();
    },
    async stop() {
      paused = true;
      await server.stop();
      removeDir();
      unregister();
    },
  };
  return handle;
}
