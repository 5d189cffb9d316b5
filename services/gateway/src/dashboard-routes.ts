import { readFileSync } from 'node:fs';
import type { Hono } from 'hono';
import { dashboardData } from './dashboard-data.js';
import type { GatewayEnv } from './gateway-env.js';
import type { GatewayTelemetry } from './gateway-telemetry.js';
import type { ServingBackend } from './serving-backend.js';

/** The page's files (plain HTML, CSS and JS; no build step), beside dist/ in the package. */
const ASSETS = new URL('../dashboard/', import.meta.url);
const FILES: Record<string, string> = {
  '/dashboard': 'index.html',
  '/dashboard/app.css': 'app.css',
  '/dashboard/app.js': 'app.js',
};
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

/**
 * GET /dashboard (the status page), its CSS and JS, and GET /dashboard/data (JSON: the cluster's
 * instances with their load and KV usage, the recent requests with their queue / prefill /
 * transfer / decode split, SLO attainment), which the page polls every second.
 */
export function registerDashboardRoutes(
  app: Hono<GatewayEnv>,
  backend: ServingBackend,
  telemetry: GatewayTelemetry,
): void {
  for (const [path, file] of Object.entries(FILES)) {
    const body = readFileSync(new URL(file, ASSETS), 'utf8');
    const type = TYPES[file.split('.').pop() ?? 'html'];
    app.get(path, (c) => c.body(body, 200, { 'content-type': type, 'cache-control': 'no-cache' }));
  }
  app.get('/dashboard/data', async (c) =>
    c.json(await dashboardData(backend, telemetry), 200, { 'cache-control': 'no-store' }),
  );
}
