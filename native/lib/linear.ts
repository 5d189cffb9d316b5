import { loadAddon } from './addon.js';

/** Element types a weight source may have (GGUF / safetensors names in lower case). */
export type DType = 'f32' | 'f16' | 'bf16' | 'q8_0';
/** How Linear keeps its weights in memory. */
export type LinearStore = 'f32' | 'bf16' | 'q8_0';

const DTYPES: readonly string[] = ['f32', 'f16', 'bf16', 'q8_0'];
const STORES: readonly string[] = ['f32', 'bf16', 'q8_0'];

/** The native object behind a Linear (bench-primitives passes it back to native code). */
export interface NativeLinear {
  forward(x: Float32Array, m: number, bias?: Float32Array): Promise<Float32Array>;
  row(i: number): Float32Array;
  kernelName(m: number): string;
  readonly n: number;
  readonly k: number;
  readonly weightBytes: number;
}

interface LinearAddon {
  NativeLinear: new (
    n: number,
    k: number,
    srcDtype: DType,
    src: Uint8Array,
    store: LinearStore,
  ) => NativeLinear;
  quantizeQ8_0(x: Float32Array): Uint8Array;
}

/** Bytes of a row-major [n][k] source in dtype. */
export function sourceBytes(n: number, k: number, dtype: DType): number {
  if (dtype === 'q8_0') return n * (k / 32) * 34;
  return n * k * (dtype === 'f32' ? 4 : 2);
}

function checkDim(name: string, v: number): void {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/**
 * A weight matrix W[n][k] (out x in) and y = x W^T (+ bias): the matmul of every projection.
 * Built once at model load (packing runs synchronously on the native thread pool); forward
 * runs off the JS thread. The kernel ISA is read at create from the CPU and PDSERVE_ISA.
 */
export class Linear {
  private constructor(
    /** @internal The native object; bench-primitives hands it to native timing loops. */
    readonly native: NativeLinear,
    /** Storage dtype. */
    readonly dtype: LinearStore,
  ) {}

  /**
   * Packs src (row-major [n][k] in srcDtype; q8_0 in ggml's 34-byte blocks, k % 32 === 0) into
   * `store`. f32 -> bf16 rounds to nearest even; -> q8_0 uses ggml's quantizer; q8_0 -> q8_0
   * keeps the bits. Throws TypeError (bad types/dtypes) or RangeError (bad sizes).
   */
  static create(n: number, k: number, srcDtype: DType, src: Uint8Array, store: LinearStore): Linear {
    checkDim('n', n);
    checkDim('k', k);
    if (!DTYPES.includes(srcDtype))
      throw new TypeError(`srcDtype must be one of ${DTYPES.join(', ')}, got ${srcDtype}`);
    if (!STORES.includes(store))
      throw new TypeError(`store must be one of ${STORES.join(', ')}, got ${store}`);
    if (!(src instanceof Uint8Array)) throw new TypeError('src must be a Uint8Array');
    if ((srcDtype === 'q8_0' || store === 'q8_0') && k % 32 !== 0) {
      throw new RangeError(`q8_0 needs k to be a multiple of 32, got ${k}`);
    }
    const want = sourceBytes(n, k, srcDtype);
    if (src.byteLength !== want) {
      throw new RangeError(`src has ${src.byteLength} bytes, expected ${want} for ${srcDtype} [${n}][${k}]`);
    }
    const addon = loadAddon<LinearAddon>();
    return new Linear(new addon.NativeLinear(n, k, srcDtype, src, store), store);
  }

  /** Output features (rows of W). */
  get n(): number {
    return this.native.n;
  }

  /** Input features (columns of W). */
  get k(): number {
    return this.native.k;
  }

  /** Bytes one forward reads from the packed weights (the bandwidth floor's numerator). */
  get weightBytes(): number {
    return this.native.weightBytes;
  }

  /** y[m][n] = x[m][k] W^T (+ bias[n]); x and bias must not change until it settles. */
  forward(x: Float32Array, m: number, bias?: Float32Array): Promise<Float32Array> {
    checkDim('m', m);
    if (!(x instanceof Float32Array)) throw new TypeError('x must be a Float32Array');
    if (x.length !== m * this.k)
      throw new RangeError(`x has ${x.length} elements, expected m * k = ${m * this.k}`);
    if (bias !== undefined) {
      if (!(bias instanceof Float32Array)) throw new TypeError('bias must be a Float32Array');
      if (bias.length !== this.n)
        throw new RangeError(`bias has ${bias.length} elements, expected n = ${this.n}`);
    }
    return this.native.forward(x, m, bias);
  }

  /** Row i of W dequantized to f32 (embedding lookup). */
  row(i: number): Float32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.n)
      throw new RangeError(`row ${i} is outside [0, ${this.n})`);
    return this.native.row(i);
  }

  /** The kernel forward uses for m rows, e.g. 'avx512-vnni-q8_0' (decode) or 'amx-bf16' (prefill). */
  kernelName(m: number): string {
    checkDim('m', m);
    return this.native.kernelName(m);
  }
}

/** The native q8_0 quantizer (the one Linear uses); x.length % 32 === 0. */
export function quantizeQ8_0Native(x: Float32Array): Uint8Array {
  if (!(x instanceof Float32Array)) throw new TypeError('x must be a Float32Array');
  if (x.length % 32 !== 0) throw new RangeError('x length must be a multiple of 32');
  return loadAddon<LinearAddon>().quantizeQ8_0(x);
}
