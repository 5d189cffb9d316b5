import { z } from 'zod';
import { defineMessage } from './message-codec.js';
import { wire } from './wire-schemas.js';

/** Full blocks entered an instance's prefix cache: a hash chain continuing from `parentBlockHash`. */
export interface WireBlockStored {
  type: 'BlockStored';
  blockHashes: string[];
  parentBlockHash: string | null;
  /** Tokens the stored blocks hold (blockSize per hash). */
  numTokens: number;
}

/** Cached blocks were evicted; their hashes no longer hit. */
export interface WireBlockRemoved {
  type: 'BlockRemoved';
  blockHashes: string[];
}

/** The instance's whole prefix cache was reset. */
export interface WireAllBlocksCleared {
  type: 'AllBlocksCleared';
}

export type WireKvEvent = WireBlockStored | WireBlockRemoved | WireAllBlocksCleared;

/**
 * Prefix-cache events of one instance, published on `subjects.kvEvents` after engine steps and
 * read by routers. `seq` numbers an epoch's batches from 0; a router that sees a gap (or a new
 * epoch) drops what it knows of the instance and resyncs.
 */
export interface KvEventBatch {
  instanceId: string;
  epoch: number;
  seq: number;
  events: WireKvEvent[];
}

const eventSchema: z.ZodType<WireKvEvent> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('BlockStored'),
    blockHashes: z.array(z.string()),
    parentBlockHash: z.string().nullable(),
    numTokens: wire.count(),
  }),
  z.object({ type: z.literal('BlockRemoved'), blockHashes: z.array(z.string()) }),
  z.object({ type: z.literal('AllBlocksCleared') }),
]);

export const kvEventBatchCodec = defineMessage<KvEventBatch>(
  'KvEventBatch',
  z.object({ instanceId: wire.id(), epoch: wire.count(), seq: wire.count(), events: z.array(eventSchema) }),
);
