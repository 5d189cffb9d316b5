import type { KvPool } from './kv-pool.js';
import { checkSpan, checkTag, UcxEndpoint, type UcxOpOptions } from './ucx-endpoint.js';
import { toUcxError, UcxError, ucxCall, ucxStart, ucxSync } from './ucx-error.js';
import { type NativeUcxWorker, newNativeUcxWorker } from './ucx-native.js';

export {
  blockRanges,
  UcxEndpoint,
  type UcxEndpointInfo,
  type UcxLane,
  type UcxOpOptions,
  type UcxRange,
  UcxRemoteMemory,
} from './ucx-endpoint.js';
export { UcxError, type UcxErrorCode } from './ucx-error.js';

/** UcxWorker.create's options. */
export interface UcxWorkerOptions {
  /**
   * UCX configuration for this worker's context, names without the UCX_ prefix (e.g.
   * `{ TLS: 'tcp' }`); anything not set here comes from the UCX_* environment as usual.
   */
  config?: Record<string, string>;
  /** Bound of every operation that is not given its own (default 30 s). */
  timeoutMs?: number;
}

/** UcxWorker.connect's options. */
export interface UcxConnectOptions extends UcxOpOptions {
  /**
   * 'peer' (default): UCP_ERR_HANDLING_MODE_PEER, so a dead or unreachable peer fails every
   * operation with PEER_GONE. UCX 1.13's shared-memory transports (posix, sysv, cma) do not
   * support it and are left out; an endpoint that must use them takes 'none' and passes
   * `peerPid` so a dead local peer is still noticed at once.
   */
  errorMode?: 'peer' | 'none';
  /** The peer's pid when it runs on this host: the endpoint fails when that process exits. */
  peerPid?: number;
}

/** UcxWorker.recvTag's options. */
export interface UcxRecvOptions extends UcxOpOptions {
  /** Bits of the (63-bit) tag that must match (default: all). */
  mask?: bigint;
  /** Largest message accepted (default 64 KiB); a longer one fails with IO. */
  maxBytes?: number;
  /** Aborting cancels the receive (CANCELED). */
  signal?: AbortSignal;
}

/** A received tagged message. */
export interface UcxMessage {
  tag: bigint;
  data: Uint8Array;
}

/**
 * A KvPool's region registered with a worker (ucp_mem_map on the existing mapping: no copy).
 * `descriptor` carries the base address, length and packed rkey for a peer's importMemory.
 */
export class UcxMemory {
  private closing: Promise<void> | undefined;
  /** @internal */
  constructor(
    private readonly native: NativeUcxWorker,
    /** @internal The memory id in the native worker. */
    readonly id: number,
    readonly pool: KvPool,
    readonly descriptor: Uint8Array,
  ) {}

  /** Size of the registered region (the whole pool). */
  get bytes(): number {
    return this.pool.bytes;
  }

  /** Drops the registration (the unmap waits for operations still using it). Idempotent. */
  close(): Promise<void> {
    this.closing ??= ucxCall(this.native.memUnmap(this.id)).catch((e: unknown) => {
      if (e instanceof UcxError && e.code === 'CANCELED') return; // the worker closed first
      throw e;
    });
    return this.closing;
  }
}

const ALL_BITS = (1n << 64n) - 1n;
const TAG_BIT_63 = 1n << 63n;

/**
 * One UCP context + worker, progressed by its own native thread (epoll on the worker's event
 * fd, so neither JS nor the thread spins while idle). Every operation returns a Promise,
 * settled from that thread through a ThreadSafeFunction, and is bounded by a timeout;
 * failures are UcxErrors. Peers connect by exchanging worker addresses (`address`), e.g. in
 * the kv-connector handshake over NATS; that one address carries every transport the worker
 * has (shared memory on one host, TCP across hosts).
 *
 * Shutdown: close() force-closes endpoints, unmaps registrations and destroys the worker and
 * context. A worker left open is torn down the same way when its Node environment ends
 * (env cleanup hook) or at process.exit (atexit), so exit with live endpoints neither hangs
 * nor crashes. While no operation is pending the worker does not keep the event loop alive.
 */
export class UcxWorker {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly native: NativeUcxWorker,
    /** This worker's UCP address, for a peer's connect. */
    readonly address: Uint8Array,
    /** Default operation bound in milliseconds. */
    readonly timeoutMs: number,
  ) {}

  /** Creates the context and worker (synchronously) and starts the progress thread. */
  static create(opts: UcxWorkerOptions = {}): UcxWorker {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    const native = ucxSync(() => newNativeUcxWorker({ ...opts.config }));
    return new UcxWorker(native, native.address(), timeoutMs);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Registers a pool's whole region for RMA by peers (and as the local side of put/get). */
  async register(pool: KvPool): Promise<UcxMemory> {
    const { id, descriptor } = await ucxStart(() => this.native.memMap(pool.native));
    return new UcxMemory(this.native, id, pool, descriptor);
  }

  /** Connects to a peer's worker address; resolves once wired up both ways (a probe round trip). */
  async connect(peerAddress: Uint8Array, opts: UcxConnectOptions = {}): Promise<UcxEndpoint> {
    const pid = opts.peerPid ?? 0;
    if (!Number.isSafeInteger(pid) || pid < 0) throw new RangeError('peerPid must be a non-negative integer');
    const t = opts.timeoutMs ?? this.timeoutMs;
    const peer = (opts.errorMode ?? 'peer') === 'peer';
    const id = await ucxStart(() => this.native.connect(peerAddress, t, peer, pid));
    return new UcxEndpoint(this.native, id, this.timeoutMs);
  }

  /** Receives one tagged message whose tag matches `tag` under `mask`. */
  recvTag(tag: bigint, opts: UcxRecvOptions = {}): Promise<UcxMessage> {
    const maxBytes = opts.maxBytes ?? 65536;
    return this.startRecv(tag, opts, (t, mask, ms) => this.native.recvTag(t, mask, maxBytes, ms));
  }

  /**
   * Receives one tagged message of exactly `bytes` straight into a registered region at
   * `offset` (the peer's UcxEndpoint.sendFrom); resolves with the sender's tag. A message of
   * another length fails with IO.
   */
  recvInto(
    tag: bigint,
    local: UcxMemory,
    offset: number,
    bytes: number,
    opts: Omit<UcxRecvOptions, 'maxBytes'> = {},
  ): Promise<bigint> {
    checkSpan(local, offset, bytes);
    return this.startRecv(tag, opts, (t, mask, ms) =>
      this.native.recvTagInto(t, mask, local.id, offset, bytes, ms),
    );
  }

  private startRecv<T>(
    tag: bigint,
    opts: UcxRecvOptions,
    start: (tag: bigint, mask: bigint, timeoutMs: number) => { id: number; promise: Promise<T> },
  ): Promise<T> {
    if (opts.signal?.aborted) {
      return Promise.reject(new UcxError('CANCELED', 'UCX receive aborted before it started'));
    }
    checkTag(tag);
    const mask = BigInt.asUintN(64, (opts.mask ?? ALL_BITS) | TAG_BIT_63); // never matches the binding's probes
    let started: { id: number; promise: Promise<T> };
    try {
      started = start(tag, mask, opts.timeoutMs ?? this.timeoutMs);
    } catch (e) {
      return Promise.reject(toUcxError(e));
    }
    const onAbort = () => this.native.cancel(started.id);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    return ucxCall(started.promise).finally(() => opts.signal?.removeEventListener('abort', onAbort));
  }

  /** Closes every endpoint (force) and registration, then the worker and context. Idempotent. */
  close(): Promise<void> {
    this.closing ??= ucxCall(this.native.close());
    return this.closing;
  }
}
