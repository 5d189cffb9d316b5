import fs from 'node:fs';
import { ModelFormatError } from './model-format-error.js';

/** One byte range of a file. */
export interface FileRegion {
  offset: number;
  length: number;
}

/** Largest buffer we read in one piece; Node 20 refuses reads over 2 GiB and buffers over 4 GiB. */
const MAX_CHUNK = 1 << 30;

function readInto(fd: number, path: string, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.byteLength) {
    const want = Math.min(target.byteLength - done, MAX_CHUNK);
    const got = fs.readSync(fd, target, done, want, position + done);
    if (got === 0) throw new ModelFormatError(path, 'truncated', `file ends at ${position + done} bytes`);
    done += got;
  }
}

function groupRegions(sorted: FileRegion[]): FileRegion[][] {
  const groups: FileRegion[][] = [];
  let current: FileRegion[] = [];
  let start = 0;
  for (const r of sorted) {
    const end = r.offset + r.length;
    if (current.length > 0 && end - start <= MAX_CHUNK && r.offset - lastEnd(current) < 1 << 20) {
      current.push(r);
      continue;
    }
    if (current.length > 0) groups.push(current);
    current = [r];
    start = r.offset;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function lastEnd(group: FileRegion[]): number {
  const last = group[group.length - 1];
  return last.offset + last.length;
}

/** Opens a file, runs `fn` with its descriptor and size, and closes it; I/O faults become ModelFormatErrors. */
export function withFile<T>(path: string, fn: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (cause) {
    throw new ModelFormatError(path, 'io', 'cannot open file', { cause });
  }
  try {
    return fn(fd, fs.fstatSync(fd).size);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads the given regions of a file and returns one view per region (in the order given). Neighbouring
 * regions share one buffer of at most 1 GiB, each buffer starting at its first region, so tensors keep
 * the alignment they have in the file. Regions past the end of the file throw a 'truncated' error.
 */
export function readFileRegions(path: string, regions: FileRegion[]): Uint8Array[] {
  return withFile(path, (fd, size) => {
    for (const r of regions) {
      if (r.offset + r.length > size) {
        throw new ModelFormatError(
          path,
          'truncated',
          `needs bytes ${r.offset}..${r.offset + r.length} but the file has ${size}`,
        );
      }
    }
    const order = regions.map((r, i) => ({ ...r, i })).sort((a, b) => a.offset - b.offset);
    const out: Uint8Array[] = new Array(regions.length);
    for (const group of groupRegions(order) as (FileRegion & { i: number })[][]) {
      const start = group[0].offset;
      const buf = new Uint8Array(Math.max(...group.map((r) => r.offset + r.length)) - start);
      readInto(fd, path, buf, start);
      for (const r of group) out[r.i] = buf.subarray(r.offset - start, r.offset - start + r.length);
    }
    return out;
  });
}

/** Reads `length` bytes at `offset` (fewer when the file is shorter). */
export function readFileBytes(fd: number, offset: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const got = fs.readSync(fd, buf, done, Math.min(length - done, MAX_CHUNK), offset + done);
    if (got === 0) break;
    done += got;
  }
  return buf.subarray(0, done);
}
