import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { KvPoolLayout } from './kv-pool.js';
import type { UcxRange } from './ucx-endpoint.js';

/** Commands a peer answers, one JSON object per line; each gets one reply line. */
export type PeerCommand =
  | { cmd: 'fill'; seed: number }
  | { cmd: 'hash'; ranges: UcxRange[]; side: 'local' | 'remote' }
  | { cmd: 'connect'; address: string; errorMode: 'peer' | 'none'; peerPid: number }
  | { cmd: 'put'; descriptor: string; ranges: UcxRange[]; repeat: number }
  | { cmd: 'echo'; tag: string }
  | { cmd: 'recv-into'; tag: string; offset: number; bytes: number; count: number }
  | { cmd: 'pending-recv'; tag: string }
  | { cmd: 'send-from'; tag: string; offset: number; bytes: number }
  | { cmd: 'exit'; how: 'return' | 'process.exit'; close: boolean };

/** Fills `bytes` with a cheap seeded pattern (xorshift32 words). */
export function fillPattern(bytes: Uint8Array, seed: number): void {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
}

/** sha256 of the ranges' bytes (each range's `side` offset) of a region, in order. */
export function hashRanges(
  region: Uint8Array,
  ranges: readonly UcxRange[],
  side: 'local' | 'remote',
): string {
  const h = createHash('sha256');
  for (const r of ranges) {
    const off = side === 'local' ? r.localOffset : r.remoteOffset;
    h.update(region.subarray(off, off + r.bytes));
  }
  return h.digest('hex');
}

const peerScript = join(dirname(fileURLToPath(import.meta.url)), 'ucx-peer.js');

/** What a peer printed first. */
export interface PeerHello {
  pid: number;
  /** The peer's KvPool (POSIX shm name): removed by kill() when a SIGKILL left it behind. */
  poolName: string;
  address: Uint8Array;
  descriptor: Uint8Array;
}

/** A ucx-peer child process driven over stdin/stdout JSON lines. */
export class UcxPeerProcess {
  private readonly lines: AsyncIterator<string>;
  /** Settles with the exit code (or signal name) once the child has exited. */
  readonly exited: Promise<number | string>;

  private constructor(
    readonly child: ChildProcess,
    rl: Interface,
    readonly hello: PeerHello,
    private readonly log: { text: string },
  ) {
    this.lines = rl[Symbol.asyncIterator]();
    this.exited = (async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        return child.exitCode ?? (child.signalCode as string);
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      return code ?? (signal as string);
    })();
  }

  /** Starts a peer with its own pool of `layout` and a UcxWorker configured with `config`. */
  static async spawn(layout: KvPoolLayout, config: Record<string, string>): Promise<UcxPeerProcess> {
    const child = spawn(process.execPath, [peerScript, JSON.stringify({ layout, config })], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const log = { text: '' };
    child.stderr?.on('data', (d: Buffer) => {
      log.text += d.toString();
    });
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await rl[Symbol.asyncIterator]().next();
    if (first.done) throw new Error(`ucx peer exited before its hello: ${log.text}`);
    const h = JSON.parse(first.value) as {
      pid: number;
      poolName: string;
      address: string;
      descriptor: string;
    };
    const hello = {
      pid: h.pid,
      poolName: h.poolName,
      address: Buffer.from(h.address, 'base64'),
      descriptor: Buffer.from(h.descriptor, 'base64'),
    };
    return new UcxPeerProcess(child, rl, hello, log);
  }

  /** What the child wrote to stderr so far. */
  get stderr(): string {
    return this.log.text;
  }

  /** Sends a command and awaits its reply line; a reply with `error` rejects. */
  async request<T extends object = Record<string, unknown>>(c: PeerCommand): Promise<T> {
    this.child.stdin?.write(`${JSON.stringify(c)}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error(`ucx peer exited (${this.stderr.trim()})`);
    const out = JSON.parse(r.value) as T & { error?: string; code?: string };
    if (out.error !== undefined) throw new Error(`ucx peer: ${out.code ?? ''} ${out.error}`);
    return out;
  }

  /** Kills the child (SIGKILL) if it still runs, waits for it and removes the pool it left. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    rmSync(`/dev/shm${this.hello.poolName}`, { force: true }); // POSIX shm on Linux
  }
}
