import fs from 'node:fs';
import { ModelFormatError } from './model-format-error.js';

const MAX_WRITE = 1 << 30;

/** Sequential synchronous writer over one file that counts its position; used by every writer here. */
export class FileSink {
  private fd: number;
  position = 0;

  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, 'w');
    } catch (cause) {
      throw new ModelFormatError(path, 'io', 'cannot create file', { cause });
    }
  }

  write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.byteLength) {
      const n = Math.min(bytes.byteLength - done, MAX_WRITE);
      done += fs.writeSync(this.fd, bytes, done, n);
    }
    this.position += bytes.byteLength;
  }

  /** Writes zero bytes up to the next multiple of `alignment`. */
  padTo(alignment: number): void {
    const pad = (alignment - (this.position % alignment)) % alignment;
    if (pad > 0) this.write(new Uint8Array(pad));
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
