import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { defineMessage } from '@pdserve/protocol';
import { z } from 'zod';
import { type KvPeerRef, kvWire } from './wire-types.js';

/**
 * Tags of the UCX data path. A sender announces each batch with a header message (bit 62 set)
 * naming, per run of blocks, the tag its data comes with; data tags stay below 2^52 (a JS
 * number): 20 bits chosen at random per sender run, 32 bits counting its runs.
 */
export const UCX_HEADER_TAG = 1n << 62n;
export const UCX_MAX_HEADER_BYTES = 1 << 20;

/**
 * `header`: blocks of `transferId` coming next from sender run `from`, as (firstIndex, count,
 * tag) triples: blocks firstIndex .. firstIndex + count - 1 of the transfer arrive as one
 * tagged message of count * blockBytes bytes, into consecutive blocks of the decode pool.
 */
export interface KvUcxHeader {
  transferId: string;
  from: KvPeerRef;
  runs: number[];
}

export const kvUcxHeaderCodec = defineMessage<KvUcxHeader>(
  'KvUcxHeader',
  z.object({ transferId: kvWire.id(), from: kvWire.peer(), runs: z.array(kvWire.count()) }),
);

let bootIdCache: string | undefined;

/** This host's identity for "same host?" (the kernel boot id; the host name where it is missing). */
export function bootId(): string {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdCache = `host:${hostname()}`;
    }
  }
  return bootIdCache;
}
