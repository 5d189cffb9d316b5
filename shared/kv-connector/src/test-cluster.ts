import type { AgentKvConnectorOptions } from './agent-kv-connector.js';
import { KvAgent } from './kv-agent.js';
import type { KvBus } from './kv-bus.js';
import type { KvTransport } from './kv-transport.js';
import type { PoolFakeExecutorOptions } from './pool-fake-executor.js';
import { TestEngine } from './test-engine.js';
import type { TransportTestFaults } from './transport-test-faults.js';

/** A bus endpoint a test can kill abruptly (its process "dies": nothing more goes in or out). */
export type KillableBus = KvBus & { kill(): void };

/**
 * TEST SUPPORT: what one connector implementation brings to the conformance suite: bus endpoints
 * (one per process) and the transport its agents use. In-memory: InMemoryKvNetwork +
 * DirectCopyTransport; nats: connections to a real nats-server + NatsChunkTransport.
 */
export interface KvTestFabric {
  readonly name: string;
  bus(name: string): Promise<KillableBus>;
  transport(bus: KvBus, faults: TransportTestFaults | null): KvTransport;
  close(): Promise<void>;
}

/** Timings of a test cluster (short, so lease and timeout paths run in milliseconds). */
export interface TestClusterTimings {
  leaseMs: number;
  recvTimeoutMs: number;
  sendTimeoutMs: number;
  requestTimeoutMs: number;
}

/** An agent of a test cluster with its bus. */
export interface TestAgent {
  agent: KvAgent;
  bus: KillableBus;
  /** Dies abruptly: its bus goes silent first, then its timers and mappings go. */
  kill(): Promise<void>;
}

/**
 * TEST SUPPORT: agents and engines on one fabric, each on its own bus endpoint as separate
 * processes would be; `close` stops everything. `waitUntil` re-checks a condition at every
 * connector progress of its engines (and every few ms for agent-side changes).
 */
export class TestCluster {
  readonly agents = new Map<string, TestAgent>();
  readonly engines: TestEngine[] = [];
  private epoch = 1;
  /** Keeps the test process alive while a test awaits events (agents' timers are unref'd). */
  private readonly keepAlive = setInterval(() => {}, 60_000);

  constructor(
    readonly fabric: KvTestFabric,
    readonly timings: TestClusterTimings = {
      leaseMs: 300,
      recvTimeoutMs: 5000,
      sendTimeoutMs: 5000,
      requestTimeoutMs: 1000,
    },
  ) {}

  async agent(agentId: string, faults: TransportTestFaults | null = null): Promise<TestAgent> {
    const bus = await this.fabric.bus(agentId);
    const transport = this.fabric.transport(bus, faults);
    const { leaseMs, requestTimeoutMs } = this.timings;
    const agent = await KvAgent.start({
      bus,
      agentId,
      epoch: this.epoch++,
      transport,
      leaseMs,
      requestTimeoutMs,
    });
    const t: TestAgent = {
      agent,
      bus,
      kill: async () => {
        bus.kill();
        await agent.close();
      },
    };
    this.agents.set(agentId, t);
    return t;
  }

  async engine(
    instanceId: string,
    agentId: string,
    options: Partial<Omit<AgentKvConnectorOptions, 'bus'>> & { model?: PoolFakeExecutorOptions } = {},
  ): Promise<TestEngine> {
    const bus = await this.fabric.bus(instanceId);
    const { model, ...connector } = options;
    const engine = await TestEngine.create(
      bus,
      {
        instanceId,
        epoch: this.epoch++,
        agentId,
        modelFingerprint: 'fake-model',
        hashSeed: 'seed',
        ...this.timings,
        ...connector,
      },
      model,
    );
    this.engines.push(engine);
    return engine;
  }

  /** Resolves once `check()` holds; rejects after `timeoutMs` with `what`. */
  async waitUntil(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      const signals = this.engines.map((e) => e.nextSignal());
      await Promise.race([...signals, new Promise((r) => setTimeout(r, 10))]);
    }
  }

  /** True when every engine and agent holds nothing. */
  allIdle(): boolean {
    const agentsIdle = [...this.agents.values()].every((a) => {
      const s = a.agent.stats();
      return s.inbound === 0 && s.outbound === 0;
    });
    return agentsIdle && this.engines.every((e) => e.isIdle());
  }

  async close(): Promise<void> {
    clearInterval(this.keepAlive);
    for (const e of this.engines) await e.close();
    for (const a of this.agents.values()) await a.agent.close();
    await this.fabric.close();
  }
}
