import { readFileBytes, readFileRegions, withFile } from './file-regions.js';
import {
  DTYPE_OF_GGML,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VALUE_TYPES,
  type GgufHeader,
  type GgufMetadata,
  type GgufTensorInfo,
  type GgufValue,
  type GgufValueType,
} from './gguf-types.js';
import { ModelFormatError } from './model-format-error.js';
import { TensorCodec } from './tensor-codec.js';
import type { TensorMap } from './types.js';

/** Headers beyond this are refused (real vocabularies need a few MB). */
export const GGUF_MAX_HEADER = 512 << 20;

/** Thrown inside the cursor when the buffer read so far is too short; the reader then reads more. */
class NeedMore extends Error {}

const SIZES: Partial<Record<GgufValueType, number>> = {
  u8: 1,
  i8: 1,
  bool: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  u64: 8,
  i64: 8,
  f64: 8,
};

class Cursor {
  pos = 0;
  private view: DataView;
  private decoder = new TextDecoder();

  constructor(
    private bytes: Uint8Array,
    private atEof: boolean,
    private path: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number, what: string): void {
    if (this.pos + n <= this.bytes.byteLength) return;
    if (!this.atEof) throw new NeedMore();
    throw new ModelFormatError(
      this.path,
      'truncated',
      `${what} at byte ${this.pos} runs past the end of the file`,
    );
  }

  scalar(type: GgufValueType): number | bigint | boolean {
    this.need(SIZES[type]!, type);
    const v = this.view;
    const p = this.pos;
    this.pos += SIZES[type]!;
    switch (type) {
      case 'u8':
        return v.getUint8(p);
      case 'i8':
        return v.getInt8(p);
      case 'bool':
        return v.getUint8(p) !== 0;
      case 'u16':
        return v.getUint16(p, true);
      case 'i16':
        return v.getInt16(p, true);
      case 'u32':
        return v.getUint32(p, true);
      case 'i32':
        return v.getInt32(p, true);
      case 'f32':
        return v.getFloat32(p, true);
      case 'f64':
        return v.getFloat64(p, true);
      case 'u64':
        return v.getBigUint64(p, true);
      default:
        return v.getBigInt64(p, true);
    }
  }

  /** A u64 that must fit a JS number. */
  count(what: string): number {
    const n = this.scalar('u64') as bigint;
    if (n > BigInt(Number.MAX_SAFE_INTEGER))
      throw new ModelFormatError(this.path, 'invalid', `${what} ${n} too large`);
    return Number(n);
  }

  string(): string {
    const len = this.count('string length');
    this.need(len, 'string');
    const s = this.decoder.decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  valueType(): GgufValueType {
    const id = this.scalar('u32') as number;
    const t = GGUF_VALUE_TYPES[id];
    if (!t)
      throw new ModelFormatError(
        this.path,
        'invalid',
        `unknown metadata value type ${id} at byte ${this.pos}`,
      );
    return t;
  }

  value(type: GgufValueType): GgufValue {
    if (type === 'string') return { type, value: this.string() };
    if (type !== 'array') return { type, value: this.scalar(type) } as GgufValue;
    const itemType = this.valueType();
    if (itemType === 'array') throw new ModelFormatError(this.path, 'unsupported', 'nested metadata arrays');
    const n = this.count('array length');
    this.need(Math.min(n, 1 << 30) * (SIZES[itemType] ?? 8), 'array');
    const value: (number | bigint | boolean | string)[] = new Array(n);
    for (let i = 0; i < n; i++) value[i] = itemType === 'string' ? this.string() : this.scalar(itemType);
    return { type, itemType, value };
  }
}

function parseHeader(path: string, bytes: Uint8Array, atEof: boolean): GgufHeader {
  const c = new Cursor(bytes, atEof, path);
  c.need(24, 'header');
  if (c.scalar('u32') !== GGUF_MAGIC) throw new ModelFormatError(path, 'bad-magic', 'not a GGUF file');
  const version = c.scalar('u32') as number;
  if (version !== 2 && version !== 3)
    throw new ModelFormatError(path, 'unsupported-version', `GGUF version ${version}`);
  const nTensors = c.count('tensor count');
  const nKv = c.count('metadata count');
  const metadata: GgufMetadata = new Map();
  for (let i = 0; i < nKv; i++) {
    const key = c.string();
    metadata.set(key, c.value(c.valueType()));
  }
  const tensorInfos: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = c.string();
    const nDims = c.scalar('u32') as number;
    if (nDims > 4) throw new ModelFormatError(path, 'invalid', `tensor ${name} has ${nDims} dims`);
    const dims = Array.from({ length: nDims }, () => c.count('dim'));
    tensorInfos.push({ name, dims, ggmlType: c.scalar('u32') as number, offset: c.count('offset') });
  }
  const a = metadata.get('general.alignment');
  const alignment = a && typeof a.value === 'number' && a.value > 0 ? a.value : GGUF_DEFAULT_ALIGNMENT;
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  return { version, metadata, tensorInfos, alignment, dataOffset };
}

/** Reads and parses the header (metadata and tensor infos) of a GGUF v2/v3 file. */
export function readGgufHeader(path: string): GgufHeader {
  return withFile(path, (fd, size) => {
    for (let want = Math.min(size, 4 << 20); ; want = Math.min(size, want * 4)) {
      if (want > GGUF_MAX_HEADER) {
        throw new ModelFormatError(path, 'header-too-large', `header exceeds ${GGUF_MAX_HEADER} bytes`);
      }
      try {
        return parseHeader(path, readFileBytes(fd, 0, want), want >= size);
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e;
      }
    }
  });
}

/** Reads every tensor of a parsed GGUF file; shapes are converted to outermost-first ([out][in]). */
export function readGgufTensors(path: string, h: GgufHeader): TensorMap {
  const infos = h.tensorInfos.map((t) => {
    const dtype = DTYPE_OF_GGML[t.ggmlType];
    if (!dtype)
      throw new ModelFormatError(path, 'unsupported-dtype', `tensor ${t.name} has ggml type ${t.ggmlType}`);
    const shape = [...t.dims].reverse();
    if (!TensorCodec.fits(dtype, shape))
      throw new ModelFormatError(path, 'shape-mismatch', `${t.name}: q8_0 row of ${t.dims[0]}`);
    return {
      name: t.name,
      dtype,
      shape,
      offset: h.dataOffset + t.offset,
      length: TensorCodec.byteLength(dtype, shape),
    };
  });
  const views = readFileRegions(path, infos);
  const out: TensorMap = new Map();
  infos.forEach((t, i) => {
    out.set(t.name, { dtype: t.dtype, shape: t.shape, data: views[i] });
  });
  return out;
}
