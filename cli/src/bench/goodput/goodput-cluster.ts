import { ServeCluster } from '../../serve/serve-cluster.js';
import { SERVE_DEFAULTS } from '../../serve/serve-config.js';
import type { GoodputConfig, GoodputPlan } from './goodput-plan.js';

/** One engine instance's load as the gateway's /health shows it. */
interface InstanceLoad {
  numRunning: number;
  numWaiting: number;
  timestampMs: number;
}

/** The local cluster (nats-server, engines, router, gateway) of one configuration, logging to `log`. */
export function startGoodputCluster(
  plan: GoodputPlan,
  config: GoodputConfig,
  log: (line: string) => void,
): Promise<ServeCluster> {
  return ServeCluster.start({
    ...SERVE_DEFAULTS,
    model: plan.model,
    prefill: config.prefill,
    decode: config.decode,
    policy: config.policy,
    port: 0,
    numBlocks: plan.numBlocks,
    maxModelLen: plan.maxModelLen,
    heartbeatMs: plan.heartbeatMs,
    log,
    // Debug lines (the router's decisions) reach the cluster log when the children log at debug.
    verbose: process.env.PDSERVE_LOG_LEVEL === 'debug',
    env: {
      PDSERVE_THREADS: String(plan.threadsPerInstance),
      PDSERVE_ENGINE_KV_DTYPE: plan.kvDtype,
      PDSERVE_ENGINE_ENABLE_PREFIX_CACHING: String(plan.enablePrefixCaching),
    },
  });
}

/** The instances' loads from the gateway's /health. */
async function loads(url: string): Promise<InstanceLoad[]> {
  const res = await fetch(`${url}/health`);
  const body = (await res.json()) as { detail?: { instances?: InstanceLoad[] } };
  return body.detail?.instances ?? [];
}

/** Thrown when the cluster does not drain in time. */
export class ClusterBusyError extends Error {
  override readonly name = 'ClusterBusyError';
}

/**
 * Resolves once every instance reported, in a heartbeat made after the call, that nothing runs or
 * waits (the previous run has drained, aborted requests included). Polls /health every heartbeat.
 */
export async function waitUntilIdle(url: string, heartbeatMs: number, timeoutMs = 60_000): Promise<void> {
  const since = Date.now();
  const end = since + timeoutMs;
  for (;;) {
    const now = await loads(url);
    const idle = now.every((i) => i.timestampMs > since && i.numRunning === 0 && i.numWaiting === 0);
    if (now.length > 0 && idle) return;
    if (Date.now() > end) throw new ClusterBusyError(`the cluster did not drain within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, heartbeatMs));
  }
}
