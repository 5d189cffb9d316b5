import { z } from 'zod';
import { isServiceErrorCode, type ServiceErrorWire } from './service-error.js';

function isTokenIdList(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  // A plain loop: prompts can hold 100k ids, and per-element schemas cost far more.
  for (const id of value) if (!Number.isSafeInteger(id) || id < 0) return false;
  return true;
}

/** Building blocks of the message schemas (shared by the message files; not exported by the package). */
export const wire = {
  count: () => z.number().int().nonnegative(),
  positive: () => z.number().int().positive(),
  id: () => z.string().min(1),
  /** Token ids: non-negative integers, checked in one loop. */
  tokenIds: () => z.custom<number[]>(isTokenIdList, 'must be a list of non-negative integer token ids'),
  bytes: () => z.instanceof(Uint8Array),
  serviceError: (): z.ZodType<ServiceErrorWire> =>
    z.object({
      code: z.custom<ServiceErrorWire['code']>(isServiceErrorCode, 'unknown ServiceError code'),
      message: z.string(),
      param: z.string().optional(),
      retryAfterS: z.number().nonnegative().optional(),
    }),
} as const;
