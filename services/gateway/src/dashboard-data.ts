import type { RequestTimeline, SloWindowStat } from '@pdserve/telemetry';
import type { GatewayTelemetry } from './gateway-telemetry.js';
import type { ServingBackend } from './serving-backend.js';

/** One engine instance as the status page shows it (from discovery and its latest heartbeat). */
export interface DashboardInstance {
  id: string;
  role: string;
  model: string;
  host?: string;
  pid?: number;
  numBlocks?: number;
  numFreeBlocks?: number;
  numRunning?: number;
  numWaiting?: number;
  kvUsage?: number;
  prefillTokensPerS?: number;
  /** Age of the heartbeat in ms. */
  ageMs?: number;
}

/** What /dashboard/data answers: the cluster now and the recent requests with their time split. */
export interface DashboardData {
  generatedAtMs: number;
  healthy: boolean;
  models: { name: string; maxModelLen: number }[];
  instances: DashboardInstance[];
  requests: RequestTimeline[];
  slo: SloWindowStat[];
}

const NUMERIC = [
  'pid',
  'numBlocks',
  'numFreeBlocks',
  'numRunning',
  'numWaiting',
  'kvUsage',
  'prefillTokensPerS',
];

/** The instances in a backend's health detail (NatsBackend lists them; LocalBackend has none). */
function instancesOf(detail: unknown, nowMs: number): DashboardInstance[] {
  const list = (detail as { instances?: unknown } | null)?.instances;
  if (!Array.isArray(list)) return [];
  return list.map((raw: Record<string, unknown>) => {
    const out: DashboardInstance = { id: String(raw.id), role: String(raw.role), model: String(raw.model) };
    if (typeof raw.host === 'string') out.host = raw.host;
    for (const key of NUMERIC)
      if (typeof raw[key] === 'number') (out as unknown as Record<string, number>)[key] = raw[key];
    if (typeof raw.timestampMs === 'number') out.ageMs = Math.max(0, nowMs - raw.timestampMs);
    return out;
  });
}

/** The status page's data now. */
export async function dashboardData(
  backend: ServingBackend,
  telemetry: GatewayTelemetry,
): Promise<DashboardData> {
  const nowMs = Date.now();
  let health: { ok: boolean; detail?: unknown };
  try {
    health = await backend.health();
  } catch (error) {
    health = { ok: false, detail: String(error) };
  }
  return {
    generatedAtMs: nowMs,
    healthy: health.ok,
    models: backend.models().map((m) => ({ name: m.name, maxModelLen: m.maxModelLen })),
    instances: instancesOf(health.detail, nowMs),
    requests: telemetry.recent.list(),
    slo: telemetry.requests.window.stats(),
  };
}
