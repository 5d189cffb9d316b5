import { Gauge, type Registry } from 'prom-client';

/** What a kv-connector agent holds now (the agent's KvAgentStats fits). */
export interface KvAgentStatsLike {
  attachments: number;
  inbound: number;
  outbound: number;
}

/**
 * The agent's holdings as gauges, read at scrape time: pdserve:kv_agent_attachments (engine pools
 * mapped), pdserve:kv_agent_transfers{direction="inbound"|"outbound"} (transfers open).
 */
export function registerKvAgentGauges(registry: Registry, stats: () => KvAgentStatsLike): void {
  new Gauge({
    name: 'pdserve:kv_agent_attachments',
    help: 'Engine KV pools the agent has mapped.',
    registers: [registry],
    collect() {
      this.set(stats().attachments);
    },
  });
  new Gauge({
    name: 'pdserve:kv_agent_transfers',
    help: 'Transfers the agent holds open, by direction.',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const s = stats();
      this.set({ direction: 'inbound' }, s.inbound);
      this.set({ direction: 'outbound' }, s.outbound);
    },
  });
}
