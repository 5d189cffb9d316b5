import { z } from 'zod';
import { defineMessage } from './message-codec.js';
import { type TokenBatch, tokenBatchSchema } from './token-batch.js';
import { wire } from './wire-schemas.js';

/**
 * A token-stream subscriber that saw a gap asks the publisher to resend from `fromSeq`
 * (request/reply on `subjects.streamReplay(requestId)`). The publisher answers with a
 * StreamReplayReply, or ServiceError 'unavailable' when it no longer holds `fromSeq`.
 */
export interface StreamReplay {
  requestId: string;
  fromSeq: number;
}

/** Batches from the requested seq on, in order (at most the publisher's per-reply limit). */
export interface StreamReplayReply {
  requestId: string;
  batches: TokenBatch[];
}

export const streamReplayCodec = defineMessage<StreamReplay>(
  'StreamReplay',
  z.object({ requestId: wire.id(), fromSeq: wire.count() }),
);

export const streamReplayReplyCodec = defineMessage<StreamReplayReply>(
  'StreamReplayReply',
  z.object({ requestId: wire.id(), batches: z.array(tokenBatchSchema) }),
);
