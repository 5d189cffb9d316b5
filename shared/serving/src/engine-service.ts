import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { createModelEngine, type ModelEngine, type RequestOutput, SamplingParams } from '@pdserve/engine';
import {
  type Cancel,
  type InstanceInfo,
  ServiceError,
  type SubmitReply,
  type SubmitRequest,
  subjects,
  submitReplyCodec,
  submitRequestCodec,
} from '@pdserve/protocol';
import {
  CancelBus,
  consoleLogger,
  InstanceRegistry,
  type RuntimeLogger,
  type TypedSubscription,
} from '@pdserve/runtime';
import { engineErrorToServiceError } from './engine-error-mapping.js';
import type { EngineServiceOptions } from './engine-service-options.js';
import { instanceInfoOf } from './instance-info-of.js';
import { KvEventPublisher } from './kv-event-publisher.js';
import { LoadTracker } from './load-tracker.js';
import { RequestRunner } from './request-runner.js';
import { wireSampling } from './wire-sampling.js';

/** How long a Cancel for a request not (yet) here is remembered. */
const EARLY_CANCEL_MS = 30_000;

/**
 * One engine instance as a NATS service (design §2): it loads the model, registers in discovery
 * and heartbeats its load, publishes its prefix-cache events, accepts SubmitRequests on its submit
 * subject (replying once the engine queued the request), streams each request's tokens, and
 * aborts requests named by a Cancel (freeing their blocks at once). The prefill and decode mains
 * build one with their role; stop() leaves discovery, fails the streams in flight and unmaps the
 * KV pool (removing its /dev/shm name).
 */
export class EngineService {
  readonly info: InstanceInfo;
  readonly engine: ModelEngine;
  readonly #options: EngineServiceOptions;
  readonly #logger: RuntimeLogger;
  readonly #registry: InstanceRegistry;
  readonly #tracker: LoadTracker;
  readonly #kvEvents: KvEventPublisher;
  readonly #runners = new Map<string, RequestRunner>();
  /** Cancels that arrived before their submit (id -> when), so a late submit is refused. */
  readonly #earlyCancels = new Map<string, number>();
  #subscriptions: TypedSubscription[] = [];
  #state: 'new' | 'serving' | 'stopped' = 'new';

  constructor(options: EngineServiceOptions) {
    this.#options = options;
    this.#logger = options.logger ?? consoleLogger;
    this.engine = createModelEngine(options.model, { ...options.engine, enableKvCacheEvents: true });
    const core = this.engine.llm.engineCore;
    this.info = instanceInfoOf(this.engine, {
      id: options.instanceId ?? `${options.role}-${hostname()}-${process.pid}`,
      role: options.role,
      model: options.servedModelName,
      epoch: Date.now(),
      kvConnector: options.kvConnector ?? { agentId: 'none', transports: [] },
    });
    this.#tracker = new LoadTracker({
      stats: () => core.stats,
      numFreeBlocks: () => core.kvCacheManager.numFreeBlocks,
    });
    this.#kvEvents = new KvEventPublisher(options.client, {
      model: this.info.model,
      instanceId: this.info.id,
      epoch: this.info.epoch,
      take: () => core.takeKvEvents(),
    });
    this.#registry = new InstanceRegistry(options.client, {
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      ...(options.bucket === undefined ? {} : { bucket: options.bucket }),
    });
    this.#instrument();
  }

  /** Requests accepted and not finished. */
  get numActiveRequests(): number {
    return this.#runners.size;
  }

  /** Starts serving: submit and cancel subscriptions first, then the discovery record. */
  async start(): Promise<void> {
    if (this.#state !== 'new')
      throw new ServiceError('internal', `instance ${this.info.id} was already started`);
    const client = this.#options.client;
    this.#subscriptions = [
      client.serve(
        subjects.submit(this.info.model, this.info.id),
        submitRequestCodec,
        submitReplyCodec,
        (r) => this.#submit(r),
      ),
      new CancelBus(client).listen((cancel) => this.#cancel(cancel)),
    ];
    await client.flush();
    await this.#registry.register(this.info, () => this.#beat());
    this.#state = 'serving';
    this.#logger.info(
      { instanceId: this.info.id, role: this.info.role, model: this.info.model },
      'instance serving',
    );
  }

  /**
   * Leaves discovery, stops taking requests, ends every stream in flight with 'unavailable',
   * aborts their engine requests and closes the engine (unmapping and unlinking the KV pool).
   * Idempotent; the NATS connection stays open (its owner closes it).
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    const wasServing = this.#state === 'serving';
    this.#state = 'stopped';
    if (wasServing) {
      await this.#registry.deregister().catch((err) => this.#logger.warn({ err }, 'deregister failed'));
    }
    for (const sub of this.#subscriptions) sub.unsubscribe();
    const error = new ServiceError('unavailable', `instance ${this.info.id} is shutting down; retry`, {
      retryAfterS: 1,
    });
    for (const [id, runner] of [...this.#runners]) {
      runner.fail(error);
      this.engine.llm.abort(id);
    }
    this.#runners.clear();
    await this.#options.client.flush().catch(() => {});
    this.engine.close();
  }

  #instrument(): void {
    const core = this.engine.llm.engineCore;
    core.onStepMetrics = (metrics) => {
      this.#tracker.observe(metrics);
      this.#kvEvents.flush();
    };
    const delayMs = this.#options.stepDelayMs ?? 0;
    if (delayMs > 0) {
      const runner = this.engine.runner;
      const execute = runner.execute.bind(runner);
      runner.execute = async (input) => {
        await delay(delayMs);
        return execute(input);
      };
    }
  }

  #beat() {
    this.#kvEvents.flush();
    return this.#tracker.report();
  }

  #submit(request: SubmitRequest): SubmitReply {
    if (this.#state !== 'serving') {
      throw new ServiceError('unavailable', `instance ${this.info.id} is not serving`, { retryAfterS: 1 });
    }
    if (request.model !== this.info.model) {
      throw new ServiceError(
        'model_not_found',
        `instance ${this.info.id} serves ${this.info.model}, not ${request.model}`,
      );
    }
    if (this.#wasCancelled(request.requestId)) {
      throw new ServiceError('aborted', `request ${request.requestId} was cancelled before it arrived`);
    }
    if (request.task !== 'both') {
      throw new ServiceError(
        'unavailable',
        `instance ${this.info.id} has no KV connector, so it cannot run a '${request.task}' task`,
        { retryAfterS: 1 },
      );
    }
    this.#accept(request);
    return { requestId: request.requestId, instanceId: this.info.id, epoch: this.info.epoch };
  }

  /** Queues the request in the engine (throwing a ServiceError if it refuses) and starts its stream. */
  #accept(request: SubmitRequest): void {
    const llm = this.engine.llm;
    let outputs: AsyncIterable<RequestOutput>;
    try {
      const params = SamplingParams.create({
        ...wireSampling.fromWire(request.samplingParams),
        outputKind: 'delta',
      });
      outputs = llm.stream(
        {
          promptTokenIds: request.promptTokenIds,
          requestId: request.requestId,
          ...(request.priority === undefined ? {} : { priority: request.priority }),
          ...(request.cacheSalt === undefined ? {} : { cacheSalt: request.cacheSalt }),
        },
        params,
      );
    } catch (error) {
      throw engineErrorToServiceError(error);
    }
    const runner = new RequestRunner(
      {
        requestId: request.requestId,
        numPromptTokens: request.promptTokenIds.length,
        ...(request.streamStartSeq === undefined ? {} : { streamStartSeq: request.streamStartSeq }),
      },
      {
        client: this.#options.client,
        logger: this.#logger,
        ...(this.#options.keepaliveMs === undefined ? {} : { keepaliveMs: this.#options.keepaliveMs }),
        ...(this.#options.lingerMs === undefined ? {} : { lingerMs: this.#options.lingerMs }),
      },
    );
    this.#runners.set(request.requestId, runner);
    void runner.run(outputs).finally(() => {
      if (this.#runners.get(request.requestId) === runner) this.#runners.delete(request.requestId);
    });
  }

  #cancel(cancel: Cancel): void {
    if (!this.#runners.has(cancel.requestId)) {
      this.#pruneEarlyCancels();
      this.#earlyCancels.set(cancel.requestId, Date.now());
      return;
    }
    this.#logger.debug({ requestId: cancel.requestId, reason: cancel.reason }, 'request cancelled');
    // Aborting frees the request's blocks now; its stream ends with finish reason 'abort'.
    this.engine.llm.abort(cancel.requestId);
  }

  #wasCancelled(requestId: string): boolean {
    this.#pruneEarlyCancels();
    return this.#earlyCancels.delete(requestId);
  }

  #pruneEarlyCancels(): void {
    const now = Date.now();
    // Insertion order is arrival order: stop at the first one still fresh.
    for (const [id, at] of this.#earlyCancels) {
      if (now - at <= EARLY_CANCEL_MS) break;
      this.#earlyCancels.delete(id);
    }
  }
}
