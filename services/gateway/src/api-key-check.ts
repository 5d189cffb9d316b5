import { createHash, timingSafeEqual } from 'node:crypto';
import { ServiceError } from '@pdserve/protocol';

/**
 * Checks `Authorization: Bearer KEY` against the configured keys in constant time (keys are
 * compared as SHA-256 digests). Returns the key; throws 'unauthorized' when it is missing or wrong.
 */
export class ApiKeyCheck {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  /** The API key of a request with this Authorization header. */
  check(authorization: string | null | undefined): string {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (m === null) throw new ServiceError('unauthorized', 'missing API key: send Authorization: Bearer KEY');
    const d = digest(m[1]);
    let ok = false;
    for (const k of this.digests) ok = timingSafeEqual(k, d) || ok;
    if (!ok) throw new ServiceError('unauthorized', 'invalid API key');
    return m[1];
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
