import { ServiceError } from '@pdserve/protocol';

/** Why a transfer stopped, as the ServiceError both sides report (the message names the transfer). */
export function transferError(
  code: ServiceError['code'],
  transferId: string,
  why: string,
  cause?: unknown,
): ServiceError {
  return new ServiceError(code, `KV transfer ${transferId}: ${why}`, cause === undefined ? {} : { cause });
}

/** A refused handshake: the two instances' KV cannot be exchanged (the message says which fact differs). */
export class KvHandshakeMismatchError extends ServiceError {
  constructor(message: string) {
    super('invalid_request', message, { param: 'kvTransferParams' });
  }
}
