import { KvPool, type KvPoolLayout } from './kv-pool.js';
import { UcxWorker } from './ucx.js';
import { UcxPeerProcess } from './ucx-peer-client.js';

/** How the bench moves bytes: RMA put (+ flush), or a tagged rendezvous send into the peer's pool. */
export type UcxBenchMode = 'put' | 'tag';

/** measureUcxBandwidth's options. */
export interface UcxBenchOptions {
  /** UCX_TLS of both ends, e.g. 'posix,sysv,cma,self' (shared memory) or 'tcp'. */
  tls: string;
  /** Pool shape of both ends; every size must fit in it. */
  layout: KvPoolLayout;
  /** Bytes per transfer, one measurement each. */
  sizes: readonly number[];
  mode: UcxBenchMode;
  /** Bytes to move per size (at least 2 transfers, default 1 GiB). */
  bytesPerSize?: number;
  /** Bound of each operation (default 60 s). */
  timeoutMs?: number;
}

/** One size's figure: bandwidth over the timed transfers and the mean time of one transfer. */
export interface UcxBenchPoint {
  bytes: number;
  transfers: number;
  gbps: number;
  latencyMs: number;
}

/** What the endpoint ended up using, and the points. */
export interface UcxBenchResult {
  tls: string;
  mode: UcxBenchMode;
  transports: string[];
  points: UcxBenchPoint[];
}

/**
 * Raw UCX bandwidth between two processes, the binding alone: this process puts (or sends) the
 * first `bytes` of its pool into a child process's pool over `tls`, once to warm up, then
 * repeatedly; GB/s is bytes moved over the wall time until the last transfer completed at the
 * target. The connector's figures are compared with these (`npm run bench:kv`).
 */
export async function measureUcxBandwidth(opts: UcxBenchOptions): Promise<UcxBenchResult> {
  const config = { TLS: opts.tls };
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const peer = await UcxPeerProcess.spawn(opts.layout, config);
  const worker = UcxWorker.create({ config, timeoutMs });
  const pool = new KvPool(opts.layout);
  try {
    new Uint8Array(pool.buffer()).fill(0x5a); // touch every page once, outside the timing
    const mem = await worker.register(pool);
    const sameHost = opts.tls !== 'tcp';
    const ep = await worker.connect(peer.hello.address, {
      errorMode: sameHost ? 'none' : 'peer',
      ...(sameHost ? { peerPid: peer.hello.pid } : {}),
    });
    const remote = await ep.importMemory(peer.hello.descriptor);
    const once = async (bytes: number, n: number): Promise<void> => {
      if (opts.mode === 'put') {
        for (let i = 0; i < n; i++) await ep.put(mem, remote, [{ localOffset: 0, remoteOffset: 0, bytes }]);
        return;
      }
      const landed = peer.request({ cmd: 'recv-into', tag: '1', offset: 0, bytes, count: n });
      for (let i = 0; i < n; i++) await ep.sendFrom(1n, mem, 0, bytes);
      await landed;
    };
    const points: UcxBenchPoint[] = [];
    for (const bytes of opts.sizes) {
      if (bytes > pool.bytes) throw new RangeError(`size ${bytes} exceeds the pool (${pool.bytes} bytes)`);
      const transfers = Math.max(2, Math.round((opts.bytesPerSize ?? 1 << 30) / bytes));
      await once(bytes, 1);
      const t0 = performance.now();
      await once(bytes, transfers);
      const ms = performance.now() - t0;
      points.push({ bytes, transfers, gbps: (bytes * transfers) / ms / 1e6, latencyMs: ms / transfers });
    }
    const transports = (await ep.info()).transports;
    await ep.close();
    return { tls: opts.tls, mode: opts.mode, transports, points };
  } finally {
    await peer.kill();
    await worker.close();
    pool.close();
  }
}
