import { loadAddon } from './addon.js';
import { removeStalePools } from './stale-pools.js';

/** Element type of the KV cache. */
export type KvDtype = 'f32' | 'bf16';

/**
 * Shape of a paged KV pool: block-major `[block][layer][k|v][blockSize][kvHeads][headDim]`, so
 * one block of all layers is one contiguous byte range (one transfer op, one checksum).
 */
export interface KvPoolLayout {
  numBlocks: number;
  blockSize: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  dtype: KvDtype;
}

/** KvPool's constructor options: a layout and an optional POSIX shm name ('/pdserve-kv-<pid>-<n>' by default). */
export interface KvPoolOptions extends KvPoolLayout {
  name?: string;
}

/** @internal The native object behind a KvPool (the kernels' bindings take it). */
export interface NativeKvPool {
  buffer(): ArrayBuffer;
  close(): void;
  readonly name: string;
  readonly bytes: number;
  readonly blockBytes: number;
  readonly closed: boolean;
}

interface KvPoolAddon {
  NativeKvPool: new (layout: KvPoolLayout, name: string, open: boolean) => NativeKvPool;
}

const openToken: unique symbol = Symbol('KvPool.open');

function checkLayout(l: KvPoolLayout): KvPoolLayout {
  if (typeof l !== 'object' || l === null) throw new TypeError('KvPool layout must be an object');
  for (const key of ['numBlocks', 'blockSize', 'layers', 'kvHeads', 'headDim'] as const) {
    const v = l[key];
    if (typeof v !== 'number') throw new TypeError(`KvPool ${key} must be a number`);
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`KvPool ${key} must be a positive integer, got ${v}`);
  }
  if (l.dtype !== 'f32' && l.dtype !== 'bf16') throw new TypeError(`KvPool dtype must be 'f32' or 'bf16'`);
  const { numBlocks, blockSize, layers, kvHeads, headDim, dtype } = l;
  return { numBlocks, blockSize, layers, kvHeads, headDim, dtype };
}

function checkName(name: string): void {
  if (typeof name !== 'string') throw new TypeError('KvPool name must be a string');
  if (!/^\/[^/]{1,254}$/.test(name)) {
    throw new RangeError(`KvPool name '${name}' must be '/' followed by 1-254 characters without '/'`);
  }
}

/**
 * The engine's paged KV cache in POSIX shared memory (shm_open + ftruncate + mmap), so the
 * kv-connector agent can map the same region (KvPool.open) and move blocks without copying.
 *
 * Ownership: the creating process owns the name; close() unlinks it (as do the last native
 * reference going away and normal process exit; a SIGKILL leaves it in /dev/shm until the next
 * pool is created on the host, which unlinks default-named pools of dead processes). A pool from
 * open() never unlinks. The mapping stays valid while any holder remains: this object until
 * close(), an in-flight kernel or forward that uses it. close() detaches the ArrayBuffer that
 * buffer() returned, so JS can never touch unmapped memory. Fresh pools are zero-filled.
 */
export class KvPool {
  /** @internal Passed to the kernels' bindings. */
  readonly native: NativeKvPool;
  readonly layout: Readonly<KvPoolLayout>;

  /** Creates a new pool (throws if the name exists or /dev/shm lacks the space). */
  constructor(opts: KvPoolOptions, token?: typeof openToken) {
    this.layout = Object.freeze(checkLayout(opts));
    const name = opts.name ?? '';
    if (name !== '' || token === openToken) checkName(name);
    if (token !== openToken) removeStalePools();
    this.native = new (loadAddon<KvPoolAddon>().NativeKvPool)(this.layout, name, token === openToken);
  }

  /** Maps a pool another process (or this one) created, checking its size against layout. */
  static open(name: string, layout: KvPoolLayout): KvPool {
    checkName(name);
    return new KvPool({ ...layout, name }, openToken);
  }

  /** The POSIX shm name (e.g. '/pdserve-kv-1234-0'); the kv-connector maps it by this name. */
  get name(): string {
    return this.native.name;
  }

  /** Size of the whole region in bytes. */
  get bytes(): number {
    return this.native.bytes;
  }

  /** Bytes of one block (all layers, K and V): block b starts at b * blockBytes. */
  get blockBytes(): number {
    return this.native.blockBytes;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.native.closed;
  }

  /** The mapped region as an external ArrayBuffer (the same object each call); throws once closed. */
  buffer(): ArrayBuffer {
    return this.native.buffer();
  }

  /** Unlinks the name (creator only), detaches buffer() and releases this mapping. Idempotent. */
  close(): void {
    this.native.close();
  }
}
