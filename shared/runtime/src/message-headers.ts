import { type MsgHdrs, headers as natsHeaders } from '@nats-io/nats-core';

/** Header that marks a reply whose body is a ServiceError instead of the expected message. */
export const ERROR_HEADER = 'Pdserve-Error';

/** Plain headers as NATS headers (undefined when there are none, so no header block is sent). */
export function toNatsHeaders(values: Readonly<Record<string, string>> | undefined): MsgHdrs | undefined {
  if (values === undefined) return undefined;
  const entries = Object.entries(values);
  if (entries.length === 0) return undefined;
  const out = natsHeaders();
  for (const [key, value] of entries) out.set(key, value);
  return out;
}

/** NATS headers as a plain object (a repeated key keeps its last value). */
export function fromNatsHeaders(values: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (values === undefined) return out;
  for (const [key, list] of values) if (list.length > 0) out[key] = list[list.length - 1];
  return out;
}
