import { z } from 'zod';

/**
 * A request's latency targets (from the gateway's headers or body fields), used by the router to
 * pick an option that meets them and by engines to order work. Absent fields: the model's defaults.
 */
export interface SloHints {
  /** Time to first token, milliseconds. */
  ttftMs?: number;
  /** Time per output token, milliseconds. */
  tpotMs?: number;
  /** End-to-end latency, milliseconds. */
  e2eMs?: number;
}

export const sloHintsSchema: z.ZodType<SloHints> = z.object({
  ttftMs: z.number().positive().optional(),
  tpotMs: z.number().positive().optional(),
  e2eMs: z.number().positive().optional(),
});
