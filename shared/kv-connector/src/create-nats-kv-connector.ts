import type { NatsClient } from '@pdserve/runtime';
import { AgentKvConnector, type AgentKvConnectorOptions } from './agent-kv-connector.js';
import { NatsKvBus } from './nats-kv-bus.js';

/**
 * The `nats` KV connector of an engine service: its transfers go through the agent `agentId`
 * over the service's NATS connection. Callers: the prefill and decode services' mains.
 */
export function createNatsKvConnector(
  client: NatsClient,
  options: Omit<AgentKvConnectorOptions, 'bus'>,
): AgentKvConnector {
  return new AgentKvConnector({ ...options, bus: new NatsKvBus(client) });
}
