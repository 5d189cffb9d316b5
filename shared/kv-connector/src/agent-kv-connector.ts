import type { KvConnector } from '@pdserve/engine';
import type { KvConnectorEndpoint, KvLayout } from '@pdserve/protocol';
import { AgentConnectorScheduler } from './agent-connector-scheduler.js';
import { AgentConnectorWorker } from './agent-connector-worker.js';
import { AgentLink } from './agent-link.js';
import type { KvAgentInfo } from './agent-messages.js';
import { ConnectorState } from './connector-state.js';
import type { KvBus, KvBusHeaders } from './kv-bus.js';

export interface AgentKvConnectorOptions {
  /** NatsKvBus for the `nats` connector, InMemoryKvBus for the `in-memory` one. */
  bus: KvBus;
  instanceId: string;
  /** This instance run's epoch (its InstanceInfo.epoch). */
  epoch: number;
  /** The kv-connector agent on this host. */
  agentId: string;
  modelFingerprint: string;
  /** The engine's block-hash seed (EngineCoreConfig.hashSeed). */
  hashSeed: string;
  /** The attachment lease at the agent, renewed every third (default 10 s). */
  leaseMs?: number;
  /** Decode side: wait for a request's KV this long after opening (default 60 s). */
  recvTimeoutMs?: number;
  /** Prefill side: wait for the transfer's outcome this long after the first token (default 120 s). */
  sendTimeoutMs?: number;
  /** Timeout of each request to the agent (default 5 s). */
  requestTimeoutMs?: number;
  /** Prefill side: the trace context (headers) to send with a request's blocks, so the agent's span joins its trace. */
  traceHeaders?: (requestId: string) => KvBusHeaders | undefined;
}

/** Open transfers of a connector (leak checks: both zero when every request is over). */
export interface AgentKvConnectorStats {
  recving: number;
  sending: number;
}

/**
 * The KV connector of an engine instance whose blocks move through the kv-connector agent on its
 * host (design §4): the `nats` connector on a NatsKvBus, the `in-memory` one on an InMemoryKvBus.
 * Pass it as EngineCoreConfig.kvConnector (createModelEngine's `kvConnector` option); the engine
 * registers its pool, which attaches it at the agent (await `ready()` before taking requests).
 */
export class AgentKvConnector implements KvConnector {
  readonly scheduler: AgentConnectorScheduler;
  readonly worker: AgentConnectorWorker;
  private readonly state = new ConnectorState();
  private readonly link: AgentLink;

  constructor(readonly options: AgentKvConnectorOptions) {
    const { bus, instanceId, epoch, agentId } = options;
    this.link = new AgentLink({
      bus,
      agentId,
      instanceId,
      instanceEpoch: epoch,
      leaseMs: options.leaseMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      onNotice: (n) => this.worker.onNotice(n),
      onAgentLost: (e) => this.worker.onAgentLost(e),
      ...(options.traceHeaders === undefined ? {} : { traceHeaders: options.traceHeaders }),
    });
    const { modelFingerprint, hashSeed } = options;
    this.worker = new AgentConnectorWorker(this.state, this.link, {
      instanceId,
      epoch,
      agentId,
      modelFingerprint,
      hashSeed,
    });
    this.scheduler = new AgentConnectorScheduler(this.state, this.link, {
      instanceId,
      epoch,
      agentId,
      blockSize: () => this.state.region?.layout.blockSize ?? 16,
      recvTimeoutMs: options.recvTimeoutMs ?? 60_000,
      sendTimeoutMs: options.sendTimeoutMs ?? 120_000,
    });
  }

  onProgress(listener: () => void): void {
    this.state.onProgress(listener);
  }

  /** Resolves once the agent mapped the engine's pool (after EngineCore registered it). */
  ready(): Promise<void> {
    return this.worker.ready();
  }

  /** The agent, once attached. */
  get agent(): KvAgentInfo | null {
    return this.link.agent;
  }

  /** InstanceInfo.kvLayout for this instance (after registration). */
  kvLayout(): KvLayout {
    return this.worker.getHandshakeMetadata().kvLayout;
  }

  /**
   * InstanceInfo.kvConnector for this instance: the transports the agent announced when it took
   * the attachment (preferred first; `in-memory`, which discovery does not name, left out), or
   * `['nats']` (the agent service's fallback, spoken by each of its agents) until the agent
   * attached the pool.
   */
  endpoint(): KvConnectorEndpoint {
    const agent = this.link.agent;
    const transports = agent === null ? ['nats' as const] : agent.transports.filter(isEndpointTransport);
    return { agentId: this.options.agentId, transports };
  }

  stats(): AgentKvConnectorStats {
    return { recving: this.state.recvs.size, sending: this.state.sends.size };
  }

  /** Cancels every transfer and detaches from the agent (the worker half's shutdown). */
  close(): Promise<void> {
    return this.worker.shutdown();
  }
}

function isEndpointTransport(kind: string): kind is KvConnectorEndpoint['transports'][number] {
  return kind === 'ucx' || kind === 'nats';
}
