import { z } from 'zod';
import { defineMessage } from './message-codec.js';
import { wire } from './wire-schemas.js';

/** A measured decode step time at one batch size (the router's TPOT model). */
export interface DecodeStepSample {
  batchSize: number;
  stepMs: number;
}

/**
 * An instance's load at `timestampMs`, produced by the engine loop and carried in every
 * heartbeat; the router predicts TTFT and TPOT from it.
 */
export interface LoadReport {
  /** Requests accepted but not yet running (waiting, or waiting for remote KV). */
  queueLength: number;
  numRunning: number;
  numWaiting: number;
  /** Fraction of KV blocks in use, 0..1. */
  kvUsage: number;
  numFreeBlocks: number;
  /** Measured prefill speed (tokens per second); 0 before the first prefill. */
  prefillTokensPerS: number;
  /** Recent decode step times by batch size. */
  decodeStepMs: DecodeStepSample[];
  timestampMs: number;
  /**
   * Measured inter-token latency of the decoding requests: a moving average of the wall time
   * between consecutive steps that both ran decode rows (prefill chunks, joins and everything else
   * the instance and its host did in between included); absent when nothing decoded lately.
   */
  decodeItlMs?: number;
  /**
   * Prompt tokens accepted but not computed yet (waiting prompts, unfinished chunked prefills,
   * recomputes after preemption): the prefill work queued ahead of a new request. Absent from
   * engines that do not report it.
   */
  queuedPromptTokens?: number;
  /** Measured KV hand-over speed of this (prefill) instance's transfers, bytes per second; absent before the first. */
  kvTransferBytesPerS?: number;
  /** KV bytes of this (prefill) instance's transfers under way: a new hand-over queues behind them. */
  kvTransferBytesInFlight?: number;
  /** The tightest TPOT target (ms) among the instance's unfinished requests that came with one. */
  minTpotSloMs?: number;
  /** Unfinished requests on the instance that came without a TPOT target (the router's default applies). */
  numWithoutTpotSlo?: number;
  /**
   * Mean max_tokens of the instance's unfinished requests that set one: how many output tokens a
   * stall of the decode batch is spread over in their TPOT.
   */
  meanMaxTokens?: number;
}

export const loadReportSchema: z.ZodType<LoadReport> = z.object({
  queueLength: wire.count(),
  numRunning: wire.count(),
  numWaiting: wire.count(),
  kvUsage: z.number().min(0).max(1),
  numFreeBlocks: wire.count(),
  prefillTokensPerS: z.number().nonnegative(),
  decodeStepMs: z.array(z.object({ batchSize: wire.positive(), stepMs: z.number().nonnegative() })),
  timestampMs: wire.count(),
  decodeItlMs: z.number().positive().optional(),
  queuedPromptTokens: wire.count().optional(),
  kvTransferBytesPerS: z.number().positive().optional(),
  kvTransferBytesInFlight: wire.count().optional(),
  minTpotSloMs: z.number().positive().optional(),
  numWithoutTpotSlo: wire.count().optional(),
  meanMaxTokens: z.number().positive().optional(),
});

export const loadReportCodec = defineMessage('LoadReport', loadReportSchema);
