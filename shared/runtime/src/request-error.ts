import { errors, TimeoutError } from '@nats-io/nats-core';
import { ServiceError } from '@pdserve/protocol';

/** A failed NATS request as the ServiceError its caller should see. */
export function requestError(err: unknown, subject: string): ServiceError {
  if (err instanceof ServiceError) return err;
  if (err instanceof TimeoutError) {
    return new ServiceError('timeout', `no reply on ${subject} in time`, { cause: err });
  }
  if (err instanceof errors.RequestError && err.isNoResponders()) {
    return new ServiceError('unavailable', `no service listens on ${subject}`, { cause: err });
  }
  if (err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError) {
    return new ServiceError('unavailable', `the NATS connection is closed (request on ${subject})`, {
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ServiceError('internal', `request on ${subject} failed: ${message}`, { cause: err });
}
