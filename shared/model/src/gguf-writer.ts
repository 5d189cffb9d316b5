import { FileSink } from './file-sink.js';
import {
  GGML_TYPE_OF,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VALUE_TYPES,
  type GgufMetadata,
  type GgufValue,
  type GgufValueType,
} from './gguf-types.js';
import { ModelFormatError } from './model-format-error.js';
import { writeEntry } from './safetensors.js';
import { TensorCodec } from './tensor-codec.js';
import type { TensorEntry } from './tensor-entry.js';

/** Appends little-endian GGUF encodings to a growing list of chunks. */
class HeaderBuilder {
  private chunks: Uint8Array[] = [];
  length = 0;
  private encoder = new TextEncoder();

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
  }

  scalar(type: GgufValueType, v: number | bigint | boolean): void {
    const size = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4 }[type as string] ?? 8;
    const b = new Uint8Array(size);
    const d = new DataView(b.buffer);
    const n = Number(v);
    if (type === 'u8' || type === 'bool') d.setUint8(0, n);
    else if (type === 'i8') d.setInt8(0, n);
    else if (type === 'u16') d.setUint16(0, n, true);
    else if (type === 'i16') d.setInt16(0, n, true);
    else if (type === 'u32') d.setUint32(0, n, true);
    else if (type === 'i32') d.setInt32(0, n, true);
    else if (type === 'f32') d.setFloat32(0, n, true);
    else if (type === 'f64') d.setFloat64(0, n, true);
    else if (type === 'u64') d.setBigUint64(0, BigInt(v), true);
    else d.setBigInt64(0, BigInt(v), true);
    this.push(b);
  }

  string(s: string): void {
    const bytes = this.encoder.encode(s);
    this.scalar('u64', BigInt(bytes.byteLength));
    this.push(bytes);
  }

  value(v: GgufValue): void {
    this.scalar('u32', GGUF_VALUE_TYPES.indexOf(v.type));
    if (v.type === 'string') {
      this.string(v.value);
      return;
    }
    if (v.type !== 'array') {
      this.scalar(v.type, v.value);
      return;
    }
    this.scalar('u32', GGUF_VALUE_TYPES.indexOf(v.itemType));
    this.scalar('u64', BigInt(v.value.length));
    for (const item of v.value) {
      if (v.itemType === 'string') this.string(String(item));
      else this.scalar(v.itemType, item as number | bigint | boolean);
    }
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  }
}

/** What `writeGguf` needs: metadata in order and tensors with GGUF names and [out][in] shapes. */
export interface GgufContents {
  metadata: GgufMetadata;
  tensors: TensorEntry[];
}

/**
 * Writes a GGUF v3 file. Tensor data is aligned to `general.alignment` (default 32, written into the
 * metadata when absent); dims are stored innermost first; each tensor's bytes are pulled when written.
 */
export function writeGguf(path: string, contents: GgufContents): void {
  const metadata: GgufMetadata = new Map(contents.metadata);
  if (!metadata.has('general.alignment'))
    metadata.set('general.alignment', { type: 'u32', value: GGUF_DEFAULT_ALIGNMENT });
  const alignValue = metadata.get('general.alignment')!.value;
  const alignment = typeof alignValue === 'number' ? alignValue : GGUF_DEFAULT_ALIGNMENT;
  const h = new HeaderBuilder();
  h.scalar('u32', GGUF_MAGIC);
  h.scalar('u32', 3);
  h.scalar('u64', BigInt(contents.tensors.length));
  h.scalar('u64', BigInt(metadata.size));
  for (const [key, v] of metadata) {
    h.string(key);
    h.value(v);
  }
  let offset = 0;
  for (const t of contents.tensors) {
    if (!TensorCodec.fits(t.dtype, t.shape)) {
      throw new ModelFormatError(
        path,
        'shape-mismatch',
        `${t.name}: rows of ${t.shape.at(-1)} cannot be q8_0`,
      );
    }
    h.string(t.name);
    h.scalar('u32', t.shape.length);
    for (const d of [...t.shape].reverse()) h.scalar('u64', BigInt(d));
    h.scalar('u32', GGML_TYPE_OF[t.dtype]);
    h.scalar('u64', BigInt(offset));
    offset += Math.ceil(TensorCodec.byteLength(t.dtype, t.shape) / alignment) * alignment;
  }
  const sink = new FileSink(path);
  try {
    sink.write(h.bytes());
    sink.padTo(alignment);
    for (const t of contents.tensors) {
      writeEntry(sink, t);
      sink.padTo(alignment);
    }
  } finally {
    sink.close();
  }
}
