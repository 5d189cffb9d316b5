import { z } from 'zod';
import { defineMessage } from './message-codec.js';
import type { ServiceErrorWire } from './service-error.js';
import { wire } from './wire-schemas.js';

/** Logprobs at one position: the chosen token first, then the top-k (the engine's TokenLogprobs). */
export interface WireTokenLogprobs {
  tokenIds: number[];
  logprobs: number[];
  /** 1 = most likely. */
  ranks: number[];
}

/** Token counts for the final usage report. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the prefix cache. */
  cachedTokens: number;
}

/**
 * One message of a request's token stream (`subjects.stream(requestId)`), published by the
 * instance generating it (TokenStreamPublisher) and read by the gateway (TokenStreamSubscriber).
 * `seq` numbers the stream's batches from 0 (or a SubmitRequest's streamStartSeq), one per batch
 * across all choices, so a subscriber reorders, drops repeats and detects lost batches; a resumed
 * stream continues the numbering. A keepalive carries no output: its `seq` is the last batch sent
 * (-1 before any), telling a silent subscriber the publisher lives and what it should have seen.
 * The batch with `done` is the stream's last; one with `error` ends it with that failure.
 */
export interface TokenBatch {
  requestId: string;
  seq: number;
  keepalive?: boolean;
  /** Which of the request's n choices the output belongs to. */
  index: number;
  /** Newly generated token ids. */
  tokenIds: number[];
  /** Newly detokenized text (may be '' while a multi-byte character is incomplete). */
  text: string;
  finishReason?: 'stop' | 'length' | 'abort';
  /** The stop string or stop token id that ended the choice. */
  stopReason?: string | number;
  logprobs?: WireTokenLogprobs[];
  /** Per prompt position (entry 0 null); only in the stream's first batch. */
  promptLogprobs?: (WireTokenLogprobs | null)[];
  cumulativeLogprob?: number;
  /** Prompt tokens found in the prefix cache (first batch). */
  numCachedTokens?: number;
  /** With the last batch. */
  usage?: TokenUsage;
  done?: boolean;
  error?: ServiceErrorWire;
}

const logprobsSchema: z.ZodType<WireTokenLogprobs> = z.object({
  tokenIds: wire.tokenIds(),
  logprobs: z.array(z.number()),
  ranks: z.array(wire.positive()),
});

export const tokenBatchSchema: z.ZodType<TokenBatch> = z
  .object({
    requestId: wire.id(),
    seq: z.number().int().min(-1),
    keepalive: z.boolean().optional(),
    index: wire.count(),
    tokenIds: wire.tokenIds(),
    text: z.string(),
    finishReason: z.enum(['stop', 'length', 'abort']).optional(),
    stopReason: z.union([z.string(), z.number().int()]).optional(),
    logprobs: z.array(logprobsSchema).optional(),
    promptLogprobs: z.array(logprobsSchema.nullable()).optional(),
    cumulativeLogprob: z.number().optional(),
    numCachedTokens: wire.count().optional(),
    usage: z
      .object({ promptTokens: wire.count(), completionTokens: wire.count(), cachedTokens: wire.count() })
      .optional(),
    done: z.boolean().optional(),
    error: wire.serviceError().optional(),
  })
  .refine((b) => b.seq >= 0 || b.keepalive === true, { message: 'seq must be >= 0', path: ['seq'] });

export const tokenBatchCodec = defineMessage('TokenBatch', tokenBatchSchema);
