import {
  EngineCore,
  type EngineCoreRequest,
  EngineLoop,
  type KvConnectorEvent,
  type RequestOutput,
  SamplingParams,
  type SamplingParamsInit,
} from '@pdserve/engine';
import type { KvTransferParams } from '@pdserve/protocol';
import { AgentKvConnector, type AgentKvConnectorOptions } from './agent-kv-connector.js';
import type { KvBus } from './kv-bus.js';
import { PoolFakeExecutor, type PoolFakeExecutorOptions } from './pool-fake-executor.js';

/** A finished request as a test sees it. */
export interface TestResult {
  tokens: number[];
  finishReason: string | null;
}

/**
 * TEST SUPPORT: an engine instance for connector tests: EngineCore over a PoolFakeExecutor, an
 * AgentKvConnector on its own bus endpoint, an EngineLoop driving it, and every connector event
 * recorded. `submit` resolves with the request's final tokens.
 */
export class TestEngine {
  readonly events: KvConnectorEvent[] = [];
  readonly core: EngineCore;
  readonly loop: EngineLoop;
  private readonly waiters = new Set<() => void>();
  private readonly listeners: ((e: KvConnectorEvent) => void)[] = [];

  private constructor(
    readonly executor: PoolFakeExecutor,
    readonly connector: AgentKvConnector,
    readonly bus: KvBus & { kill(): void },
  ) {
    this.core = new EngineCore(executor, {
      maxModelLen: executor.numBlocks * executor.blockSize,
      maxNumBatchedTokens: 8,
      hashSeed: connector.options.hashSeed,
      eosTokenIds: [],
      kvConnector: connector,
    });
    this.core.onKvConnectorEvent = (e) => {
      this.events.push(e);
      for (const l of this.listeners) l(e);
      this.signal();
    };
    connector.onProgress(() => this.signal());
    this.loop = new EngineLoop(this.core, null);
  }

  static async create(
    bus: KvBus & { kill(): void },
    connector: Omit<AgentKvConnectorOptions, 'bus'>,
    model: PoolFakeExecutorOptions = {},
  ): Promise<TestEngine> {
    const engine = new TestEngine(
      new PoolFakeExecutor(model),
      new AgentKvConnector({ ...connector, bus }),
      bus,
    );
    await engine.connector.ready();
    return engine;
  }

  get instanceId(): string {
    return this.connector.options.instanceId;
  }

  /** Adds a request; resolves with its final tokens (rejects if the engine fails it). */
  submit(
    requestId: string,
    prompt: readonly number[],
    params: SamplingParamsInit,
    kvTransferParams: KvTransferParams | null = null,
  ): Promise<TestResult> {
    const req: EngineCoreRequest = {
      requestId,
      promptTokenIds: prompt,
      samplingParams: SamplingParams.create({ ...params, outputKind: 'finalOnly' }),
      kvTransferParams,
    };
    return new Promise((resolve, reject) => {
      this.loop.addRequest(req, {
        push: (o: RequestOutput) => {
          if (o.finished) resolve({ tokens: o.outputs[0].tokenIds, finishReason: o.outputs[0].finishReason });
        },
        fail: reject,
      });
    });
  }

  /** True when the engine holds no block and the connector no transfer. */
  isIdle(): boolean {
    const kv = this.core.kvCacheManager;
    const stats = this.connector.stats();
    return (
      kv.numFreeBlocks === this.executor.numBlocks &&
      kv.numRequestsHoldingBlocks === 0 &&
      (this.core.kvConnector?.numDelayed ?? 0) === 0 &&
      stats.recving === 0 &&
      stats.sending === 0
    );
  }

  /** Calls `listener` with each connector event, when the engine applies it. */
  onEvent(listener: (e: KvConnectorEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves with the first recorded event of `type` for `requestId` (already or later). */
  async event<T extends KvConnectorEvent['type']>(
    type: T,
    requestId: string,
  ): Promise<Extract<KvConnectorEvent, { type: T }>> {
    for (;;) {
      const e = this.events.find((x) => x.type === type && x.requestId === requestId);
      if (e !== undefined) return e as Extract<KvConnectorEvent, { type: T }>;
      await this.nextSignal();
    }
  }

  /** Resolves at the next connector progress or event. */
  nextSignal(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  async close(): Promise<void> {
    this.core.abortRequests([...this.core.scheduler.requests.values()].map((r) => r.userRequestId));
    await this.connector.close().catch(() => {});
    this.executor.close();
  }

  private signal(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}
