import {
  type RouteDecision,
  type RouteRequest,
  routeDecisionCodec,
  routeRequestCodec,
  ServiceError,
  subjects,
} from '@pdserve/protocol';
import type { NatsClient } from '@pdserve/runtime';
import { ATTR, SPAN } from '@pdserve/telemetry';
import { type TracedCall, untraced } from './traced-call.js';

/** How long to wait and what to tell clients when the cluster cannot take the request. */
export interface ClusterCallOptions {
  timeoutMs: number;
  retryAfterS: number;
  /** Wraps each call in a client span and hands it the trace headers (default: untraced). */
  trace?: TracedCall;
}

/**
 * A failure to reach a cluster service as what the client should see: no responder or no reply
 * in time becomes 'unavailable' with Retry-After; errors the service itself sent pass through
 * (an engine's 'invalid_request', a router's 'overloaded'), gaining Retry-After where they lack it.
 */
export function unreachable(error: unknown, what: string, options: ClusterCallOptions): ServiceError {
  const se = ServiceError.from(error);
  if (se.code === 'timeout' || (se.code === 'unavailable' && se.retryAfterS === undefined)) {
    return new ServiceError('unavailable', `${what}: ${se.message}`, {
      retryAfterS: options.retryAfterS,
      cause: se,
    });
  }
  if ((se.code === 'overloaded' || se.code === 'unavailable') && se.retryAfterS === undefined) {
    return new ServiceError(se.code, se.message, { retryAfterS: options.retryAfterS, cause: se });
  }
  return se;
}

/** Asks the model's routers where to run `request` (request/reply, one router of the queue group answers). */
export async function askRouter(
  client: NatsClient,
  request: RouteRequest,
  options: ClusterCallOptions,
): Promise<RouteDecision> {
  try {
    const attributes = {
      [ATTR.clusterRequestId]: request.requestId,
      [ATTR.promptTokens]: request.numPromptTokens,
    };
    return await (options.trace ?? untraced)(SPAN.gatewayRoute, attributes, (headers) =>
      client.request(subjects.route(request.model), routeRequestCodec, request, routeDecisionCodec, {
        timeoutMs: options.timeoutMs,
        headers,
      }),
    );
  } catch (error) {
    throw unreachable(error, `no router answered for ${request.model}`, options);
  }
}
