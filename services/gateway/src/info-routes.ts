import { createRequire } from 'node:module';
import type { Hono } from 'hono';
import type { GatewayContext } from './gateway-context.js';
import type { GatewayEnv } from './gateway-env.js';

const PACKAGE_VERSION: string = createRequire(import.meta.url)('../package.json').version;

/** GET /v1/models, /health, /version and /metrics. */
export function registerInfoRoutes(app: Hono<GatewayEnv>, g: GatewayContext): void {
  app.get('/v1/models', (c) =>
    c.json({
      object: 'list',
      data: g.backend.models().map((m) => ({
        id: m.name,
        object: 'model',
        created: m.created,
        owned_by: 'pdserve',
        root: m.name,
        parent: null,
        max_model_len: m.maxModelLen,
      })),
    }),
  );

  app.get('/health', async (c) => {
    let health: { ok: boolean; detail?: unknown };
    try {
      health = await g.backend.health();
    } catch (error) {
      health = { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
    const body = {
      status: health.ok ? 'ok' : 'unavailable',
      ...(health.detail === undefined ? {} : { detail: health.detail }),
    };
    return c.json(body, health.ok ? 200 : 503);
  });

  app.get('/version', (c) => c.json({ version: g.options.version ?? PACKAGE_VERSION }));

  app.get('/metrics', async (c) => {
    const telemetry = g.options.telemetry;
    const own = telemetry === undefined ? '' : await telemetry.metricsText();
    const text = g.options.metrics ? await g.options.metrics() : `${g.metrics.render()}${own}`;
    return c.body(text, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
}
