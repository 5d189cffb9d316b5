import { randomInt } from 'node:crypto';
import { type KvPool, type UcxEndpoint, UcxError, type UcxMemory, UcxWorker } from '@pdserve/native';
import { ServiceError } from '@pdserve/protocol';
import { transferError } from './kv-connector-errors.js';
import type { KvBlockSink, KvSendJob, KvSendResult, KvTransport } from './kv-transport.js';
import type { PoolAttachment } from './pool-attachments.js';
import type { TransportTestFaults } from './transport-test-faults.js';
import { UcxInbound } from './ucx-inbound.js';
import { bootId, kvUcxHeaderCodec, UCX_HEADER_TAG } from './ucx-messages.js';
import { type PlannedRun, planUcxRuns, ScratchRegion } from './ucx-plan.js';
import type { KvPeerRef } from './wire-types.js';
import type { KvUcxOffer } from './xfer-messages.js';

export interface UcxKvTransportOptions {
  /** The path taken when a peer cannot be reached over UCX, or a UCX send fails (NATS chunks). */
  fallback: KvTransport;
  /** UCX configuration of this agent's worker (names without UCX_, e.g. `{ TLS: 'tcp' }`); default: UCX_* env. */
  ucxConfig?: Record<string, string>;
  /** Bound of each UCX step: connect, a batch's header and data (default 10 s). */
  opTimeoutMs?: number;
  /** TEST HOOK: fault injection (see TransportTestFaults). */
  testFaults?: TransportTestFaults | null;
}

/** UcxKvTransport's counters (sending side). */
export interface UcxKvTransportStats {
  ucxBatches: number;
  fallbackBatches: number;
  ucxFailures: number;
}

/**
 * The UCX data path between kv-connector agents, NATS behind it. The receiving agent's handshake
 * reply offers its UCP worker address; a sender that has UCX connects (once per peer run: shared
 * memory on one host, TCP across hosts) and sends each batch as a header plus one tagged message
 * per run of blocks contiguous on both sides, from its registered pool; the receiver posts each
 * run's receive straight into the decode pool's blocks and pulls the bytes by rendezvous (one cma
 * copy on one host, an RDMA read where there is RDMA). Sends are synchronous: a batch resolves
 * once every run landed, so the commit follows the data. The receiver checksums each run's blocks
 * as the run lands (InboundTransfers.landed); the commit reads from the mapped pool only the
 * blocks not checksummed yet. A peer without UCX, one that cannot be reached, or a failed batch
 * goes over the fallback (NATS) instead; `send` reports which path moved it.
 */
export class UcxKvTransport implements KvTransport {
  readonly kind = 'ucx' as const;
  readonly kinds: KvTransport['kinds'];
  /** Settles when close() finished tearing UCX down. */
  closed: Promise<void> = Promise.resolve();
  private worker: UcxWorker | null = null;
  private inbound: UcxInbound | null = null;
  private readonly memory = new Map<KvPool, Promise<UcxMemory>>();
  private readonly memoryByBuffer = new WeakMap<ArrayBufferLike, UcxMemory>();
  private readonly endpoints = new Map<string, Promise<UcxEndpoint>>();
  /** Peer runs UCX failed with: they get the fallback from then on. */
  private readonly broken = new Set<string>();
  private readonly opTimeoutMs: number;
  private readonly tagBase = randomInt(1, 1 << 20) * 2 ** 32;
  private nextTag = 0;
  private readonly counts: UcxKvTransportStats = { ucxBatches: 0, fallbackBatches: 0, ucxFailures: 0 };
  /** Kept between batches (registering a region costs more than a small send). */
  private scratch: ScratchRegion | null = null;

  constructor(private readonly options: UcxKvTransportOptions) {
    this.opTimeoutMs = options.opTimeoutMs ?? 10_000;
    this.kinds = ['ucx', ...(options.fallback.kinds ?? [options.fallback.kind])];
  }

  listen(self: KvPeerRef, sink: KvBlockSink): void {
    this.options.fallback.listen(self, sink);
    const worker = this.ucx();
    if (worker === null) return;
    this.inbound ??= new UcxInbound(
      worker,
      (b) => this.memoryByBuffer.get(b),
      (pool) => this.register(pool),
      this.opTimeoutMs,
    );
    this.inbound.start(sink);
  }

  async offer(target: PoolAttachment): Promise<KvUcxOffer | undefined> {
    const worker = this.ucx();
    if (worker === null || this.inbound === null) return undefined;
    await this.register(target.pool);
    return { address: worker.address, bootId: bootId(), pid: process.pid };
  }

  async send(job: KvSendJob): Promise<KvSendResult> {
    const offer = job.session.ucx;
    const key = peerKey(job.to);
    if (offer !== undefined && this.ucx() !== null && !this.broken.has(key)) {
      try {
        await this.sendUcx(job, offer);
        this.counts.ucxBatches++;
        return { transport: 'ucx' };
      } catch (err) {
        if (job.signal.aborted) throw transferError('aborted', job.transferId, 'cancelled');
        if (err instanceof ServiceError && !(err.cause instanceof UcxError)) throw err;
        this.counts.ucxFailures++;
        // A dead or unreachable peer run gets NATS from now on; after a timeout (a header the
        // receiver refused, a slow batch) only this batch does.
        const code = err instanceof ServiceError && err.cause instanceof UcxError ? err.cause.code : 'IO';
        if (code === 'PEER_GONE' || !(await this.connected(key))) this.markBroken(key);
        job.onRetry?.();
      }
    }
    await this.options.fallback.send(job);
    this.counts.fallbackBatches++;
    return { transport: this.options.fallback.kind };
  }

  /** Batches sent so far by path, and UCX failures that sent a batch down the fallback. */
  stats(): UcxKvTransportStats {
    return { ...this.counts };
  }

  quiesce(transferId: string): Promise<void> {
    return this.inbound?.quiesce(transferId) ?? Promise.resolve();
  }

  forget(pool: KvPool): void {
    const mem = this.memory.get(pool);
    this.memory.delete(pool);
    void mem?.then((m) => m.close()).catch(() => {});
  }

  close(): void {
    this.options.fallback.close();
    const { worker, inbound } = this;
    this.worker = null;
    this.inbound = null;
    if (worker === null) return;
    const scratch = this.scratch;
    this.scratch = null;
    this.closed = (async () => {
      await inbound?.close();
      await scratch?.close();
      await worker.close();
    })().catch(() => {});
  }

  /** This agent's worker, created on first use; null where UCX cannot start (NATS only then). */
  private ucx(): UcxWorker | null {
    if (this.worker !== null) return this.worker;
    try {
      this.worker = UcxWorker.create({ config: { ...this.options.ucxConfig }, timeoutMs: this.opTimeoutMs });
    } catch {
      return null;
    }
    return this.worker;
  }

  private register(pool: KvPool): Promise<UcxMemory> {
    let mem = this.memory.get(pool);
    if (mem === undefined) {
      mem = this.ucx()!.register(pool);
      mem.then((m) => this.memoryByBuffer.set(pool.buffer(), m)).catch(() => this.memory.delete(pool));
      this.memory.set(pool, mem);
    }
    return mem;
  }

  private async sendUcx(job: KvSendJob, offer: KvUcxOffer): Promise<void> {
    const ep = await this.endpoint(job.to, offer);
    const source = await this.register(job.source);
    const plan = await planUcxRuns(
      job,
      source,
      this.options.testFaults ?? null,
      () => this.tag(),
      (slots, bytes) => this.takeScratch(slots, bytes),
    );
    try {
      if (plan.runs.length === 0) return;
      if (plan.scratch !== null) await wrap(plan.scratch.register(this.worker!));
      const header = { transferId: job.transferId, from: job.from, runs: plan.runs.flatMap(runTriple) };
      const t = { timeoutMs: this.opTimeoutMs };
      await wrap(ep.sendTag(UCX_HEADER_TAG, kvUcxHeaderCodec.encode(header), t));
      await wrap(
        Promise.all(
          plan.runs.map((r: PlannedRun) => ep.sendFrom(BigInt(r.tag), r.mem(), r.offset, r.bytes, t)),
        ),
      );
    } finally {
      if (plan.scratch !== null) await this.returnScratch(plan.scratch);
    }
  }

  private takeScratch(slots: number, blockBytes: number): ScratchRegion {
    const cached = this.scratch;
    if (cached !== null && !cached.busy && cached.fits(slots, blockBytes)) {
      cached.busy = true;
      return cached;
    }
    const region = new ScratchRegion(Math.max(slots, cached?.slots ?? 0), blockBytes);
    region.busy = true;
    return region;
  }

  /** Keeps the largest free region for the next batch; closes the others. */
  private async returnScratch(region: ScratchRegion): Promise<void> {
    region.busy = false;
    if (region === this.scratch) return;
    if (this.scratch === null || (!this.scratch.busy && region.slots >= this.scratch.slots)) {
      const old = this.scratch;
      this.scratch = region;
      await old?.close();
      return;
    }
    await region.close();
  }

  private endpoint(to: KvPeerRef, offer: KvUcxOffer): Promise<UcxEndpoint> {
    const key = peerKey(to);
    let ep = this.endpoints.get(key);
    if (ep === undefined) {
      const local = offer.bootId === bootId();
      ep = wrap(
        this.worker!.connect(offer.address, {
          errorMode: local ? 'none' : 'peer', // UCX 1.13's shared-memory transports lack peer error handling
          ...(local ? { peerPid: offer.pid } : {}),
        }),
      );
      this.endpoints.set(key, ep);
    }
    return ep;
  }

  /** True when the endpoint to this peer run was established (a failed connect is a broken peer). */
  private async connected(key: string): Promise<boolean> {
    const ep = this.endpoints.get(key);
    if (ep === undefined) return false;
    return ep.then(
      () => true,
      () => false,
    );
  }

  /** One endpoint per peer run for life (UCX pairs endpoints by order); a broken one is not reused. */
  private markBroken(key: string): void {
    this.broken.add(key);
    const ep = this.endpoints.get(key);
    this.endpoints.delete(key);
    void ep?.then((e) => e.close({ force: true })).catch(() => {});
  }

  private tag(): number {
    this.nextTag = (this.nextTag + 1) % 2 ** 32;
    return this.tagBase + this.nextTag;
  }
}

function peerKey(p: KvPeerRef): string {
  return `${p.agentId}/${p.epoch}`;
}

function runTriple(r: PlannedRun): number[] {
  return [r.firstIndex, r.count, r.tag];
}

/** A UcxError as a ServiceError ('unavailable', with the UcxError as cause): the caller falls back. */
async function wrap<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof UcxError) throw new ServiceError('unavailable', `UCX: ${e.message}`, { cause: e });
    throw e;
  }
}
