import { type Context, context, createContextKey, type Span, trace } from '@opentelemetry/api';
import type { RouteDecision } from '@pdserve/protocol';
import { ATTR } from '@pdserve/telemetry';

const KEY = createContextKey('pdserve.gateway.request');

/**
 * What the gateway learns about one HTTP request while serving it, for its root span and its one
 * log line: created by the request-span middleware (kept in the async context), filled in by the
 * InstrumentedBackend as each prompt's outputs arrive.
 */
export class RequestRecord {
  promptTokens = 0;
  completionTokens = 0;
  ttftMs: number | null = null;
  readonly finishReasons: string[] = [];
  errorCode: string | null = null;
  /** Set once the first prompt reached the backend (the end of parse/validate/tokenize). */
  preparedAtMs: number | null = null;

  constructor(
    readonly requestId: string,
    readonly span: Span,
    readonly startMs: number,
  ) {}

  /** A prompt was placed on the cluster under `clusterRequestId` as `decision` says. */
  placed(clusterRequestId: string, decision: RouteDecision): void {
    this.span.setAttributes({
      [ATTR.clusterRequestId]: clusterRequestId,
      [ATTR.routeMode]: decision.mode,
      [ATTR.routeDecodeInstance]: decision.decodeInstanceId,
      ...(decision.prefillInstanceId === undefined
        ? {}
        : { [ATTR.routePrefillInstance]: decision.prefillInstanceId }),
    });
  }

  /** One prompt's outcome (several prompts of one request add up). */
  add(
    promptTokens: number,
    completionTokens: number,
    ttftS: number | null,
    reasons: readonly string[],
  ): void {
    this.promptTokens += promptTokens;
    this.completionTokens += completionTokens;
    if (ttftS !== null) this.ttftMs = Math.min(this.ttftMs ?? Number.POSITIVE_INFINITY, ttftS * 1000);
    this.finishReasons.push(...reasons);
  }

  /** The context with the request's span active (to start its children in). */
  context(): Context {
    return trace.setSpan(this.bind(context.active()), this.span);
  }

  /** This record in `ctx` (for the middleware's `context.with`). */
  bind(ctx: Context): Context {
    return ctx.setValue(KEY, this);
  }

  /** The record of the request being served in the current async context, if any. */
  static current(): RequestRecord | undefined {
    return context.active().getValue(KEY) as RequestRecord | undefined;
  }
}
