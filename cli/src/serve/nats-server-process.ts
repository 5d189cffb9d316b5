import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ChildService, ChildServiceError } from './child-service.js';

/** Where and how the NATS server listens. */
export interface NatsServerProcessOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free one, chosen by the server). */
  port?: number;
  /** max_payload (default 8 MiB, for KV chunks). */
  maxPayloadBytes?: number;
  /** Gets the server's log lines, prefixed. */
  log: (line: string) => void;
  /** Whether to show its info lines too (default: warnings and errors only). */
  verbose?: boolean;
  /** Runs the server through this command prefix (e.g. ['ip', 'netns', 'exec', 'ns']). */
  wrap?: readonly string[];
}

/** The nats-server executable: $PDSERVE_NATS_SERVER, else the first on PATH or in the sbin dirs. */
export function findNatsServerBinary(): string {
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
  throw new ChildServiceError(
    'nats-server is not installed: run `bash scripts/setup.sh` (or `apt-get install nats-server`), or set PDSERVE_NATS_SERVER',
  );
}

/**
 * The NATS server of a `pdserve serve` cluster: JetStream on with its store in a temp dir (for the
 * discovery bucket), max_payload 8 MiB, listening on `host` (loopback by default). start()
 * resolves once the server logged that it is ready, with the port it took; stop() ends it and
 * removes the temp dir.
 */
export class NatsServerProcess {
  readonly url: string;
  readonly port: number;
  readonly #service: ChildService;
  readonly #dir: string;

  private constructor(service: ChildService, dir: string, host: string, port: number) {
    this.#service = service;
    this.#dir = dir;
    this.port = port;
    this.url = `nats://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  static async start(options: NatsServerProcessOptions): Promise<NatsServerProcess> {
    const binary = findNatsServerBinary();
    const host = options.host ?? '127.0.0.1';
    const dir = mkdtempSync(join(tmpdir(), 'pdserve-nats-'));
    const config = join(dir, 'nats-server.conf');
    const lines = [
      `listen: ${JSON.stringify(`${host.includes(':') ? `[${host}]` : host}:${options.port || -1}`)}`,
      `max_payload: ${options.maxPayloadBytes ?? 8 * 1024 * 1024}`,
      `jetstream { store_dir: ${JSON.stringify(join(dir, 'jetstream'))} }`,
    ];
    writeFileSync(config, `${lines.join('\n')}\n`);
    let port = 0;
    const service = new ChildService({
      name: 'nats',
      command: options.wrap?.[0] ?? binary,
      args: [...(options.wrap?.slice(1) ?? []), ...(options.wrap ? [binary] : []), '-c', config],
      log: options.log,
      show: (line) => options.verbose === true || !line.includes('[INF]'),
      readyWhen: (line) => {
        const listening = /Listening for client connections on .*:(\d+)\s*$/.exec(line);
        if (listening) port = Number(listening[1]);
        return /Server is ready/.test(line);
      },
    });
    try {
      await service.ready;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return new NatsServerProcess(service, dir, host, port);
  }

  /** The server process (for exit monitoring). */
  get service(): ChildService {
    return this.#service;
  }

  async stop(): Promise<void> {
    await this.#service.stop('SIGTERM', 5000);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
