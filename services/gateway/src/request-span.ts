import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR, epochNowMs } from '@pdserve/telemetry';
import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './gateway-env.js';
import type { GatewayTelemetry } from './gateway-telemetry.js';
import { RequestRecord } from './request-record.js';
import { tracedBody } from './traced-body.js';

/** The routes whose requests get a trace (the generation routes). */
const TRACED = new Set(['/v1/completions', '/v1/chat/completions']);

/**
 * Opens each generation request's root span (`POST /v1/completions`, attribute pdserve.request_id
 * = the X-Request-Id it is answered with) and keeps it, with the request's RequestRecord, in the
 * async context of the handler, so the backend's spans become its children. The span ends when the
 * response is complete (a stream: when its body ends or the client leaves); then one JSON log line
 * says how the request went (request id, trace id, status, tokens, TTFT, duration).
 */
export function requestSpan(telemetry: GatewayTelemetry): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST' || !TRACED.has(c.req.path)) return next();
    const requestId = c.get('requestId');
    const span = telemetry.service.tracer.startSpan(`POST ${c.req.path}`, {
      kind: SpanKind.SERVER,
      attributes: { [ATTR.requestId]: requestId, 'http.request.method': 'POST', 'url.path': c.req.path },
    });
    const record = new RequestRecord(requestId, span, epochNowMs());
    try {
      await context.with(record.bind(trace.setSpan(context.active(), span)), next);
    } catch (error) {
      finish(telemetry, record, 500);
      throw error;
    }
    const res = c.res;
    if (res.body === null || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
      finish(telemetry, record, res.status);
      return;
    }
    c.res = new Response(
      tracedBody(res.body, () => finish(telemetry, record, res.status)),
      res,
    );
  };
}

function finish(telemetry: GatewayTelemetry, record: RequestRecord, status: number): void {
  const { span, requestId } = record;
  const durationMs = epochNowMs() - record.startMs;
  const fields = {
    requestId,
    traceId: span.spanContext().traceId,
    status,
    promptTokens: record.promptTokens,
    completionTokens: record.completionTokens,
    ttftMs: record.ttftMs,
    finishReason: record.finishReasons.join(','),
    errorCode: record.errorCode ?? undefined,
    durationMs: Math.round(durationMs * 10) / 10,
  };
  span.setAttributes({
    'http.response.status_code': status,
    [ATTR.promptTokens]: record.promptTokens,
    [ATTR.completionTokens]: record.completionTokens,
    [ATTR.finishReason]: fields.finishReason,
    ...(record.ttftMs === null ? {} : { [ATTR.ttftMs]: record.ttftMs }),
    ...(record.errorCode === null ? {} : { [ATTR.errorCode]: record.errorCode }),
  });
  if (status >= 500 || record.errorCode !== null)
    span.setStatus({ code: SpanStatusCode.ERROR, message: record.errorCode ?? `HTTP ${status}` });
  span.end();
  telemetry.service.logger.info(fields, 'request finished');
}
