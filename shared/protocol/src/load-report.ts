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
});

export const loadReportCodec = defineMessage('LoadReport', loadReportSchema);
