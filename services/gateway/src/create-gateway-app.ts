import { ServiceError } from '@pdserve/protocol';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { ApiKeyCheck } from './api-key-check.js';
import { chatCompletionRoute } from './chat-completion-route.js';
import { completionRoute } from './completion-route.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { errorResponse } from './error-response.js';
import { GatewayContext } from './gateway-context.js';
import type { GatewayEnv } from './gateway-env.js';
import type { GatewayOptions } from './gateway-options.js';
import { registerInfoRoutes } from './info-routes.js';
import { RateLimiter } from './rate-limiter.js';
import { resolveRequestId } from './request-id.js';
import { requestSpan } from './request-span.js';
import { registerTokenizeRoutes } from './tokenize-routes.js';

/** Paths open without an API key and never rate limited. */
const OPEN_PATHS = new Set([
  '/health',
  '/metrics',
  '/dashboard',
  '/dashboard/data',
  '/dashboard/app.js',
  '/dashboard/app.css',
]);
const ROUTES = new Set([
  '/v1/completions',
  '/v1/chat/completions',
  '/v1/models',
  '/tokenize',
  '/detokenize',
  '/health',
  '/version',
  '/metrics',
]);

/**
 * The gateway's hono app: OpenAI's routes over `options.backend`, with request ids, API keys,
 * rate limits and OpenAI error bodies. Serve it with startGateway, or call `app.request()` in
 * process (tests).
 */
export function createGatewayApp(options: GatewayOptions): Hono<GatewayEnv> {
  const g = new GatewayContext(options);
  const app = new Hono<GatewayEnv>();
  app.use('*', requestScope(g));
  if (options.apiKeys !== undefined && options.apiKeys.length > 0) app.use('*', apiKeys(options.apiKeys));
  if (options.rateLimit !== undefined)
    app.use('*', rateLimit(new RateLimiter(options.rateLimit, options.clock)));
  if (options.telemetry !== undefined) app.use('*', requestSpan(options.telemetry));
  app.post('/v1/completions', completionRoute(g));
  app.post('/v1/chat/completions', chatCompletionRoute(g));
  registerTokenizeRoutes(app, g);
  registerInfoRoutes(app, g);
  if (options.telemetry !== undefined) registerDashboardRoutes(app, g.backend, options.telemetry);
  const fail = (error: unknown, c: Context<GatewayEnv>) => {
    const requestId = c.get('requestId');
    return errorResponse(error, { 'x-request-id': requestId }, (se) => g.reportInternal(se, requestId));
  };
  // Returned, not thrown: hono runs the not-found handler outside its error handling.
  app.notFound((c) => fail(new ServiceError('not_found', `Invalid URL (${c.req.method} ${c.req.path})`), c));
  app.onError(fail);
  return app;
}

/** Outermost: the request id (echoed on every response) and the request counters. */
function requestScope(g: GatewayContext): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const requestId = resolveRequestId(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    c.set('apiKey', null);
    await next();
    c.header('x-request-id', requestId);
    g.metrics.countRequest(ROUTES.has(c.req.path) ? c.req.path : 'other', c.res.status);
  };
}

function apiKeys(keys: readonly string[]): MiddlewareHandler<GatewayEnv> {
  const check = new ApiKeyCheck(keys);
  return async (c, next) => {
    if (!OPEN_PATHS.has(c.req.path)) c.set('apiKey', check.check(c.req.header('authorization')));
    await next();
  };
}

function rateLimit(limiter: RateLimiter): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    if (!OPEN_PATHS.has(c.req.path)) {
      const wait = limiter.take(c.get('apiKey') ?? 'anonymous');
      if (wait > 0) {
        throw new ServiceError('rate_limited', 'rate limit exceeded for this API key', { retryAfterS: wait });
      }
    }
    await next();
  };
}
