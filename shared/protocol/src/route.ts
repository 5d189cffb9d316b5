import { z } from 'zod';
import { defineMessage } from './message-codec.js';
import { type SloHints, sloHintsSchema } from './slo-hints.js';
import { wire } from './wire-schemas.js';

/**
 * The gateway asks a router where to run a request (request/reply on `subjects.route(model)`).
 * The reply is a RouteDecision, or a ServiceError ('overloaded' with retryAfterS when no option
 * meets the SLO, 'unavailable' when no instance serves the model).
 */
export interface RouteRequest {
  requestId: string;
  model: string;
  numPromptTokens: number;
  /** Chained hashes of the prompt's full blocks (the engine's prefix-cache hashes). */
  blockHashes: string[];
  /** null: until EOS or maxModelLen. */
  maxTokens: number | null;
  slo?: SloHints;
  priority?: number;
  /** Instances not to pick (e.g. a decode instance that just died on this request). */
  excludeInstanceIds?: string[];
  arrivalTimeMs: number;
}

/**
 * Where a request runs. 'colocated': `decodeInstanceId` prefills and decodes; 'disaggregated':
 * `prefillInstanceId` prefills and hands its KV blocks to `decodeInstanceId`.
 */
export interface RouteDecision {
  requestId: string;
  mode: 'colocated' | 'disaggregated';
  prefillInstanceId?: string;
  decodeInstanceId: string;
  /** Prompt tokens the router expects the prefill side to find cached. */
  numCachedTokens: number;
  predictedTtftMs: number;
  predictedTpotMs: number;
}

export const routeRequestCodec = defineMessage<RouteRequest>(
  'RouteRequest',
  z.object({
    requestId: wire.id(),
    model: wire.id(),
    numPromptTokens: wire.count(),
    blockHashes: z.array(z.string()),
    maxTokens: wire.count().nullable(),
    slo: sloHintsSchema.optional(),
    priority: z.number().int().optional(),
    excludeInstanceIds: z.array(wire.id()).optional(),
    arrivalTimeMs: wire.count(),
  }),
);

export const routeDecisionCodec = defineMessage<RouteDecision>(
  'RouteDecision',
  z
    .object({
      requestId: wire.id(),
      mode: z.enum(['colocated', 'disaggregated']),
      prefillInstanceId: wire.id().optional(),
      decodeInstanceId: wire.id(),
      numCachedTokens: wire.count(),
      predictedTtftMs: z.number().nonnegative(),
      predictedTpotMs: z.number().nonnegative(),
    })
    .refine((d) => (d.mode === 'disaggregated') === (d.prefillInstanceId !== undefined), {
      message: 'prefillInstanceId is required for disaggregated and not allowed for colocated',
      path: ['prefillInstanceId'],
    }),
);
