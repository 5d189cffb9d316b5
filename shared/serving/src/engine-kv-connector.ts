import { type AgentKvConnector, createNatsKvConnector } from '@pdserve/kv-connector';
import { type LoadedModel, modelFingerprint } from '@pdserve/model';
import type { NatsClient } from '@pdserve/runtime';
import type { EngineKvConnectorOptions } from './engine-service-options.js';

/**
 * The `nats` KV connector of one engine instance run (`instanceId` at `epoch`), attached to the
 * agent `options.agentId` on this host, with the model's fingerprint as the handshake's model and
 * hash seed (the engine seeds its block hashes with the same). EngineService passes it to the
 * engine and awaits its ready() before it takes requests.
 */
export function createEngineKvConnector(
  client: NatsClient,
  model: LoadedModel,
  options: EngineKvConnectorOptions,
  instance: {
    instanceId: string;
    epoch: number;
    traceHeaders?: (requestId: string) => Record<string, string> | undefined;
  },
): AgentKvConnector {
  const fingerprint = modelFingerprint(model);
  const { agentId, leaseMs, recvTimeoutMs, sendTimeoutMs, requestTimeoutMs } = options;
  return createNatsKvConnector(client, {
    ...instance,
    agentId,
    modelFingerprint: fingerprint,
    hashSeed: fingerprint,
    ...(leaseMs === undefined ? {} : { leaseMs }),
    ...(recvTimeoutMs === undefined ? {} : { recvTimeoutMs }),
    ...(sendTimeoutMs === undefined ? {} : { sendTimeoutMs }),
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
  });
}
