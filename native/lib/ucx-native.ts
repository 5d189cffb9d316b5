import { loadAddon } from './addon.js';
import type { NativeKvPool } from './kv-pool.js';

/** @internal The native NativeUcxWorker (src/ucx/ucx-binding.cc); ids are small integers. */
export interface NativeUcxWorker {
  address(): Uint8Array;
  memMap(pool: NativeKvPool): Promise<{ id: number; descriptor: Uint8Array }>;
  memUnmap(id: number): Promise<void>;
  connect(address: Uint8Array, timeoutMs: number, peerErrors: boolean, peerPid: number): Promise<number>;
  importMemory(ep: number, descriptor: Uint8Array): Promise<number>;
  rma(
    put: boolean,
    ep: number,
    mem: number,
    rkey: number,
    ranges: Float64Array,
    timeoutMs: number,
  ): Promise<void>;
  sendTag(ep: number, tag: bigint, data: Uint8Array, timeoutMs: number): Promise<void>;
  recvTag(
    tag: bigint,
    mask: bigint,
    maxBytes: number,
    timeoutMs: number,
  ): { id: number; promise: Promise<{ tag: bigint; data: Uint8Array }> };
  sendTagFrom(
    ep: number,
    tag: bigint,
    mem: number,
    offset: number,
    bytes: number,
    timeoutMs: number,
  ): Promise<void>;
  recvTagInto(
    tag: bigint,
    mask: bigint,
    mem: number,
    offset: number,
    bytes: number,
    timeoutMs: number,
  ): { id: number; promise: Promise<bigint> };
  cancel(id: number): void;
  epInfo(ep: number): Promise<string>;
  closeEndpoint(ep: number, force: boolean): Promise<void>;
  close(): Promise<void>;
}

interface UcxAddon {
  NativeUcxWorker: new (config: Record<string, string>) => NativeUcxWorker;
}

/** @internal Creates the native worker (context, worker, progress thread). */
export function newNativeUcxWorker(config: Record<string, string>): NativeUcxWorker {
  return new (loadAddon<UcxAddon>().NativeUcxWorker)(config);
}

/** Reads the region length (bytes 16..24, little-endian) from a memory descriptor. */
export function descriptorBytes(descriptor: Uint8Array): number {
  if (descriptor.byteLength < 28) return 0;
  const view = new DataView(descriptor.buffer, descriptor.byteOffset, descriptor.byteLength);
  return Number(view.getBigUint64(16, true));
}
