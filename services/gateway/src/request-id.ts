import { randomUUID } from 'node:crypto';

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id: the client's X-Request-Id when it is 1-128 characters of [A-Za-z0-9._:-]
 * (safe in logs, NATS subjects and engine ids), else a fresh random one.
 */
export function resolveRequestId(header: string | null | undefined): string {
  if (header != null && VALID.test(header)) return header;
  return randomUUID().replaceAll('-', '');
}
