import fs from 'node:fs';
import path from 'node:path';
import { readFileBytes, readFileRegions, withFile } from './file-regions.js';
import { FileSink } from './file-sink.js';
import { ModelFormatError } from './model-format-error.js';
import { TensorCodec } from './tensor-codec.js';
import type { TensorEntry } from './tensor-entry.js';
import type { DType, TensorMap } from './types.js';

/** The safetensors spec caps the JSON header at 100 MB. */
export const SAFETENSORS_MAX_HEADER = 100_000_000;

const FROM_ST: Record<string, DType> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };
const TO_ST: Partial<Record<DType, string>> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function readHeader(file: string): { header: Record<string, HeaderEntry>; dataStart: number; size: number } {
  return withFile(file, (fd, size) => {
    const lenBytes = readFileBytes(fd, 0, 8);
    if (lenBytes.byteLength < 8)
      throw new ModelFormatError(file, 'truncated', 'no safetensors header length');
    const len = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
    if (len > SAFETENSORS_MAX_HEADER) {
      throw new ModelFormatError(
        file,
        'header-too-large',
        `header of ${len} bytes (limit ${SAFETENSORS_MAX_HEADER})`,
      );
    }
    if (8 + len > size) throw new ModelFormatError(file, 'truncated', `header of ${len} bytes past the end`);
    try {
      const header = JSON.parse(new TextDecoder().decode(readFileBytes(fd, 8, len)));
      return { header, dataStart: 8 + len, size };
    } catch (cause) {
      throw new ModelFormatError(file, 'invalid', 'header is not JSON', { cause });
    }
  });
}

function checkEntry(file: string, name: string, e: HeaderEntry, dataBytes: number): DType {
  const dtype = FROM_ST[e.dtype];
  if (!dtype) throw new ModelFormatError(file, 'unsupported-dtype', `tensor ${name} has dtype ${e.dtype}`);
  const [begin, end] = e.data_offsets;
  if (end - begin !== TensorCodec.byteLength(dtype, e.shape)) {
    throw new ModelFormatError(
      file,
      'shape-mismatch',
      `tensor ${name}: ${end - begin} bytes for shape [${e.shape}]`,
    );
  }
  if (end > dataBytes)
    throw new ModelFormatError(file, 'truncated', `tensor ${name} ends past the end of the file`);
  return dtype;
}

/** Reads one .safetensors file (F32, F16, BF16); tensors are views into buffers read from it. */
export function readSafetensors(file: string): TensorMap {
  const { header, dataStart, size } = readHeader(file);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const dtypes = names.map((n) => checkEntry(file, n, header[n], size - dataStart));
  const views = readFileRegions(
    file,
    names.map((n) => ({
      offset: dataStart + header[n].data_offsets[0],
      length: header[n].data_offsets[1] - header[n].data_offsets[0],
    })),
  );
  const out: TensorMap = new Map();
  names.forEach((n, i) => {
    out.set(n, { dtype: dtypes[i], shape: header[n].shape, data: views[i] });
  });
  return out;
}

/** Reads model.safetensors, or every shard named by model.safetensors.index.json, from a directory. */
export function readSafetensorsDir(dir: string): TensorMap {
  const index = path.join(dir, 'model.safetensors.index.json');
  if (!fs.existsSync(index)) return readSafetensors(path.join(dir, 'model.safetensors'));
  let weightMap: Record<string, string>;
  try {
    weightMap = JSON.parse(fs.readFileSync(index, 'utf8')).weight_map;
  } catch (cause) {
    throw new ModelFormatError(index, 'invalid', 'cannot read the shard index', { cause });
  }
  const out: TensorMap = new Map();
  for (const shard of new Set(Object.values(weightMap))) {
    for (const [name, t] of readSafetensors(path.join(dir, shard))) out.set(name, t);
  }
  for (const name of Object.keys(weightMap)) {
    if (!out.has(name))
      throw new ModelFormatError(index, 'missing-tensor', `${name} is not in ${weightMap[name]}`);
  }
  return out;
}

/** Writes entries as one .safetensors file (F32/F16/BF16), pulling each tensor's bytes in turn. */
export function writeSafetensors(
  file: string,
  entries: TensorEntry[],
  metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...metadata } };
  let offset = 0;
  for (const e of entries) {
    const st = TO_ST[e.dtype];
    if (!st)
      throw new ModelFormatError(file, 'unsupported-dtype', `safetensors cannot hold ${e.dtype} (${e.name})`);
    const n = TensorCodec.byteLength(e.dtype, e.shape);
    header[e.name] = { dtype: st, shape: e.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const sink = new FileSink(file);
  try {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(Buffer.byteLength(json)), true);
    sink.write(len);
    sink.write(Buffer.from(json, 'utf8'));
    for (const e of entries) writeEntry(sink, e);
  } finally {
    sink.close();
  }
}

/** Writes one entry's bytes after checking their length against its shape. */
export function writeEntry(sink: FileSink, e: TensorEntry): void {
  const data = e.load();
  const want = TensorCodec.byteLength(e.dtype, e.shape);
  if (data.byteLength !== want) {
    throw new ModelFormatError(
      sink.path,
      'shape-mismatch',
      `${e.name}: ${data.byteLength} bytes, expected ${want}`,
    );
  }
  sink.write(data);
}
