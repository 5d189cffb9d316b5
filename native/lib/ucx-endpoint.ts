import type { UcxMemory } from './ucx.js';
import { UcxError, ucxCall, ucxStart } from './ucx-error.js';
import { descriptorBytes, type NativeUcxWorker } from './ucx-native.js';

/** One contiguous copy: `bytes` from localOffset in the local region to remoteOffset in the remote one. */
export interface UcxRange {
  localOffset: number;
  remoteOffset: number;
  bytes: number;
}

/** One UCP lane of an endpoint as ucp_ep_print_info shows it. */
export interface UcxLane {
  /** Transport name, e.g. 'tcp', 'sysv', 'posix', 'cma'. */
  transport: string;
  /** Device, e.g. 'lo', 'memory'. */
  device: string;
  /** What UCP uses the lane for: 'am', 'am_bw#0', 'rma_bw#0', 'keepalive', 'wireup', ... */
  usage: string[];
}

/** Which transports an endpoint ended up using (for traces and metrics). */
export interface UcxEndpointInfo {
  /** Distinct 'transport/device' names of the lanes, in lane order. */
  transports: string[];
  lanes: UcxLane[];
  /** ucp_ep_print_info's full text. */
  text: string;
}

/** Options of one operation: its time bound (the worker's default when absent). */
export interface UcxOpOptions {
  timeoutMs?: number;
}

/** User tags are 63-bit: bit 63 is the binding's own (its connect probe). */
export const MAX_TAG = (1n << 63n) - 1n;

/** Throws a RangeError unless 0 <= tag <= MAX_TAG. */
export function checkTag(tag: bigint): void {
  if (typeof tag !== 'bigint' || tag < 0n || tag > MAX_TAG)
    throw new RangeError(`tag must be a bigint in [0, 2^63)`);
}

/** Parses ucp_ep_print_info's "lane[i]: n:tl/dev md[..] -> ... usage" lines. */
export function parseEndpointInfo(text: string): UcxEndpointInfo {
  const lanes: UcxLane[] = [];
  for (const m of text.matchAll(/lane\[\d+\]:\s+\d+:([^/\s]+)\/(\S+)\s+md\[\d+\]\s+->\s+\S+\s*(.*)$/gm)) {
    const [, transport = '', dev = '', usage = ''] = m;
    lanes.push({
      transport,
      device: dev.replace(/\.\d+$/, ''),
      usage: usage.trim().split(/\s+/).filter(Boolean),
    });
  }
  const transports = [...new Set(lanes.map((l) => `${l.transport}/${l.device}`))];
  return { transports, lanes, text };
}

/**
 * Coalesces block copies (local block i -> remote block j, blockBytes each) into ranges,
 * merging runs that are consecutive on both sides, so a transfer of adjacent blocks is one op.
 */
export function blockRanges(
  localBlocks: readonly number[],
  remoteBlocks: readonly number[],
  blockBytes: number,
): UcxRange[] {
  if (localBlocks.length !== remoteBlocks.length) {
    throw new RangeError(`blockRanges: ${localBlocks.length} local blocks but ${remoteBlocks.length} remote`);
  }
  const out: UcxRange[] = [];
  for (let i = 0; i < localBlocks.length; i++) {
    const l = (localBlocks[i] as number) * blockBytes;
    const r = (remoteBlocks[i] as number) * blockBytes;
    const last = out[out.length - 1];
    if (last && last.localOffset + last.bytes === l && last.remoteOffset + last.bytes === r)
      last.bytes += blockBytes;
    else out.push({ localOffset: l, remoteOffset: r, bytes: blockBytes });
  }
  return out;
}

/** Throws a RangeError unless [offset, offset + bytes) lies in the region. */
export function checkSpan(region: { bytes: number }, offset: number, bytes: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(bytes) || offset < 0 || bytes < 0) {
    throw new RangeError('offset and bytes must be non-negative integers');
  }
  if (offset + bytes > region.bytes) {
    throw new RangeError(`[${offset}, +${bytes}) is outside the region of ${region.bytes} bytes`);
  }
}

function packRanges(ranges: readonly UcxRange[], local: UcxMemory): Float64Array {
  const f = new Float64Array(ranges.length * 3);
  ranges.forEach((r, i) => {
    for (const k of ['localOffset', 'remoteOffset', 'bytes'] as const) {
      if (!Number.isSafeInteger(r[k]) || r[k] < 0)
        throw new RangeError(`range ${i}: ${k} must be a non-negative integer`);
    }
    if (r.localOffset + r.bytes > local.bytes) {
      throw new RangeError(
        `range ${i}: [${r.localOffset}, +${r.bytes}) is outside the local region of ${local.bytes} bytes`,
      );
    }
    f.set([r.localOffset, r.remoteOffset, r.bytes], i * 3);
  });
  return f;
}

/** A peer's registered region, unpacked on one endpoint (UcxEndpoint.importMemory). */
export class UcxRemoteMemory {
  /** @internal */
  constructor(
    /** The endpoint it was unpacked on (put/get must use that one). */
    readonly endpoint: UcxEndpoint,
    /** @internal The remote key id in the native worker. */
    readonly id: number,
    /** Size of the peer's region in bytes. */
    readonly bytes: number,
  ) {}
}

/**
 * A connection to one peer worker (UcxWorker.connect). Operations on it fail with PEER_GONE
 * once the peer is known dead (UCX peer error handling, a transport error, or the peer pid's
 * exit), TIMEOUT past their bound, CANCELED once it is closed.
 */
export class UcxEndpoint {
  private closing: Promise<void> | undefined;

  /** @internal Created by UcxWorker.connect. */
  constructor(
    private readonly native: NativeUcxWorker,
    /** @internal The endpoint id in the native worker. */
    readonly id: number,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** Unpacks a peer's memory descriptor (UcxMemory.descriptor) for put/get on this endpoint. */
  async importMemory(descriptor: Uint8Array): Promise<UcxRemoteMemory> {
    const rkeyId = await ucxStart(() => this.native.importMemory(this.id, descriptor));
    return new UcxRemoteMemory(this, rkeyId, descriptorBytes(descriptor));
  }

  /** RMA-writes the ranges of `local` into `remote`; resolves once the bytes are in place at the peer. */
  put(
    local: UcxMemory,
    remote: UcxRemoteMemory,
    ranges: readonly UcxRange[],
    opts: UcxOpOptions = {},
  ): Promise<void> {
    return this.rma(true, local, remote, ranges, opts);
  }

  /** RMA-reads the ranges of `remote` into `local`; resolves once they have landed here. */
  get(
    local: UcxMemory,
    remote: UcxRemoteMemory,
    ranges: readonly UcxRange[],
    opts: UcxOpOptions = {},
  ): Promise<void> {
    return this.rma(false, local, remote, ranges, opts);
  }

  /** Sends a small tagged message (copied; tags are 63-bit); resolves when UCX has taken it. */
  sendTag(tag: bigint, data: Uint8Array, opts: UcxOpOptions = {}): Promise<void> {
    checkTag(tag);
    return ucxStart(() => this.native.sendTag(this.id, tag, data, opts.timeoutMs ?? this.defaultTimeoutMs));
  }

  /**
   * Sends `bytes` of a registered region from `offset` as one tagged message, without a copy;
   * the peer receives it with UcxWorker.recvInto. Large messages go by rendezvous (over shared
   * memory the receiver pulls them with a single cma copy). A synchronous send: resolves once
   * a receive at the peer has taken it, so the bytes are in place there, whatever the size.
   */
  sendFrom(
    tag: bigint,
    local: UcxMemory,
    offset: number,
    bytes: number,
    opts: UcxOpOptions = {},
  ): Promise<void> {
    checkTag(tag);
    checkSpan(local, offset, bytes);
    const t = opts.timeoutMs ?? this.defaultTimeoutMs;
    return ucxStart(() => this.native.sendTagFrom(this.id, tag, local.id, offset, bytes, t));
  }

  /** The lanes and transports UCP picked for this endpoint. */
  async info(): Promise<UcxEndpointInfo> {
    return parseEndpointInfo(await ucxStart(() => this.native.epInfo(this.id)));
  }

  /** Closes the endpoint: flushes first, or drops in-flight operations with force. Idempotent. */
  close(opts: { force?: boolean } = {}): Promise<void> {
    this.closing ??= ucxCall(this.native.closeEndpoint(this.id, opts.force === true)).catch((e: unknown) => {
      if (e instanceof UcxError && e.code === 'CANCELED') return; // the worker closed first
      throw e;
    });
    return this.closing;
  }

  private rma(
    put: boolean,
    local: UcxMemory,
    remote: UcxRemoteMemory,
    ranges: readonly UcxRange[],
    opts: UcxOpOptions,
  ) {
    if (remote.endpoint !== this) throw new RangeError('remote memory was imported on another endpoint');
    const packed = packRanges(ranges, local);
    const t = opts.timeoutMs ?? this.defaultTimeoutMs;
    return ucxStart(() => this.native.rma(put, this.id, local.id, remote.id, packed, t));
  }
}
