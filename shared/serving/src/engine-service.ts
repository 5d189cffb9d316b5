import { hostname } from 'node:os';
import {
  createModelEngine,
  EngineLoop,
  type KvConnectorEvent,
  type ModelEngine,
  type RequestSink,
  SamplingParams,
} from '@pdserve/engine';
import type { AgentKvConnector } from '@pdserve/kv-connector';
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
import type { EngineRequestTelemetry } from '@pdserve/telemetry';
import { EarlyCancels } from './early-cancels.js';
import { engineErrorToServiceError } from './engine-error-mapping.js';
import { createEngineKvConnector } from './engine-kv-connector.js';
import type { EngineServiceOptions } from './engine-service-options.js';
import { createEngineTelemetry, observedSink, observeKvEvent } from './engine-telemetry.js';
import { instanceInfoOf } from './instance-info-of.js';
import { instrumentRunner } from './instrument-runner.js';
import { KvEventPublisher } from './kv-event-publisher.js';
import { LoadTracker } from './load-tracker.js';
import { PrefillSink } from './prefill-sink.js';
import { queuedPromptTokens } from './queued-prompt-tokens.js';
import { RequestRunner } from './request-runner.js';
import { checkSubmit } from './submit-checks.js';
import { TransferTimer } from './transfer-timer.js';
import { wireSampling } from './wire-sampling.js';

/**
 * One engine instance as a NATS service (design §2-3): it loads the model, registers in discovery
 * and heartbeats its load, publishes its prefix-cache events, takes SubmitRequests on its submit
 * subject (replying once the engine queued the request; a decode task's reply carries the KV
 * blocks it reserved), streams each request's tokens, and aborts requests named by a Cancel
 * (freeing their blocks at once). With a KV connector it takes part in disaggregated requests: as
 * prefill it sends the first token at once and the prompt's KV to the decode instance; as decode
 * it waits for that KV and continues from the transferred decode state. The prefill and decode
 * mains build one; stop() leaves discovery, fails the streams in flight, detaches from the agent
 * and unmaps the KV pool (removing its /dev/shm name).
 */
export class EngineService {
  readonly info: InstanceInfo;
  readonly engine: ModelEngine;
  readonly connector: AgentKvConnector | null;
  readonly #options: EngineServiceOptions;
  readonly #logger: RuntimeLogger;
  readonly #loop: EngineLoop;
  readonly #registry: InstanceRegistry;
  readonly #tracker: LoadTracker;
  readonly #transfers: TransferTimer;
  readonly #kvEvents: KvEventPublisher;
  readonly #sinks = new Map<string, RequestSink>();
  readonly #earlyCancels = new EarlyCancels();
  readonly #requests: EngineRequestTelemetry | null = null;
  #subscriptions: TypedSubscription[] = [];
  #state: 'new' | 'serving' | 'stopped' = 'new';

  constructor(options: EngineServiceOptions) {
    this.#options = options;
    this.#logger = options.logger ?? consoleLogger;
    const id = options.instanceId ?? `${options.role}-${hostname()}-${process.pid}`;
    const epoch = Date.now();
    this.connector =
      options.kvConnector === undefined
        ? null
        : createEngineKvConnector(options.client, options.model, options.kvConnector, {
            instanceId: id,
            epoch,
            traceHeaders: (requestId) => this.#requests?.transferHeaders(requestId),
          });
    this.engine = createModelEngine(options.model, {
      ...options.engine,
      enableKvCacheEvents: true,
      ...(this.connector === null ? {} : { kvConnector: this.connector }),
    });
    const core = this.engine.llm.engineCore;
    // The service drives the core with its own loop (the LLM's stays idle): it needs full EngineCoreRequests.
    this.#loop = new EngineLoop(core, options.model.tokenizer);
    this.info = instanceInfoOf(this.engine, {
      id,
      role: options.role,
      model: options.servedModelName,
      epoch,
      kvConnector: this.connector?.endpoint() ?? { agentId: 'none', transports: [] },
    });
    if (options.telemetry) this.#requests = createEngineTelemetry(options.telemetry, core, this.info);
    this.#tracker = new LoadTracker({
      stats: () => core.stats,
      numFreeBlocks: () => core.kvCacheManager.numFreeBlocks,
      queuedPromptTokens: () => queuedPromptTokens(core.scheduler.requests.values()),
      transferBytesInFlight: () => this.#transfers.bytesInFlight,
    });
    const { blockSize, kvLayout } = this.info;
    this.#transfers = new TransferTimer((n) => Math.ceil(n / blockSize) * kvLayout.blockBytes);
    this.#kvEvents = new KvEventPublisher(options.client, {
      model: this.info.model,
      instanceId: id,
      epoch,
      take: () => core.takeKvEvents(),
    });
    this.#registry = new InstanceRegistry(options.client, {
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      ...(options.bucket === undefined ? {} : { bucket: options.bucket }),
    });
    this.#instrument();
  }

  /** Requests accepted whose stream (or first token, for prefill tasks) is not over. */
  get numActiveRequests(): number {
    return this.#sinks.size;
  }

  /** Starts serving: the agent attachment, the submit and cancel subscriptions, then discovery. */
  async start(): Promise<void> {
    if (this.#state !== 'new')
      throw new ServiceError('internal', `instance ${this.info.id} was already started`);
    if (this.connector !== null) {
      await this.connector.ready();
      // Now attached: the endpoint names the transports the agent announced (before, only nats).
      this.info.kvConnector = this.connector.endpoint();
    }
    const client = this.#options.client;
    const submit = subjects.submit(this.info.model, this.info.id);
    this.#subscriptions = [
      client.serve(submit, submitRequestCodec, submitReplyCodec, (r, m) => this.#submit(r, m.headers)),
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

  /** Leaves discovery, ends every stream with 'unavailable', aborts the requests, detaches, closes the engine. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    const wasServing = this.#state === 'serving';
    this.#state = 'stopped';
    if (wasServing)
      await this.#registry.deregister().catch((err) => this.#logger.warn({ err }, 'deregister failed'));
    for (const sub of this.#subscriptions) sub.unsubscribe();
    this.#requests?.stop();
    const error = new ServiceError('unavailable', `instance ${this.info.id} is shutting down; retry`, {
      retryAfterS: 1,
    });
    for (const [id, sink] of [...this.#sinks]) {
      if (sink instanceof RequestRunner) sink.failWith(error);
      this.#loop.abort(id);
    }
    this.#sinks.clear();
    await this.connector?.close().catch((err) => this.#logger.warn({ err }, 'KV connector shutdown failed'));
    await this.#options.client.flush().catch(() => {});
    this.engine.close();
  }

  #instrument(): void {
    const core = this.engine.llm.engineCore;
    core.onStepMetrics = (metrics) => {
      this.#tracker.observe(metrics);
      this.#requests?.afterStep(metrics);
      this.#kvEvents.flush();
    };
    core.onKvConnectorEvent = (event) => {
      observeKvEvent(this.#requests, event);
      this.#onKvConnectorEvent(event);
    };
    instrumentRunner(this.engine.runner, {
      delayMs: this.#options.stepDelayMs ?? 0,
      onStart: (promptTokens, decodeRows) => this.#tracker.stepStarted(promptTokens, decodeRows),
      onEnd: () => this.#tracker.stepEnded(),
    });
  }

  #beat() {
    this.#kvEvents.flush();
    return this.#tracker.report();
  }

  async #submit(request: SubmitRequest, headers: Record<string, string>): Promise<SubmitReply> {
    if (this.#state !== 'serving') {
      throw new ServiceError('unavailable', `instance ${this.info.id} is not serving`, { retryAfterS: 1 });
    }
    checkSubmit(request, this.info, this.connector !== null);
    if (this.#earlyCancels.take(request.requestId)) {
      throw new ServiceError('aborted', `request ${request.requestId} was cancelled before it arrived`);
    }
    this.#accept(request, headers);
    const reply: SubmitReply = {
      requestId: request.requestId,
      instanceId: this.info.id,
      epoch: this.info.epoch,
    };
    if (request.task !== 'decode') return reply;
    try {
      const kvTransferParams = await this.engine.llm.engineCore.remotePrefillReservation(request.requestId);
      this.#requests?.reserved(request.requestId);
      return { ...reply, kvTransferParams };
    } catch (error) {
      this.#requests?.reserved(request.requestId, ServiceError.from(error, 'unavailable'));
      this.#abort(request.requestId, ServiceError.from(error, 'unavailable'));
      throw engineErrorToServiceError(error);
    }
  }

  /** Queues the request in the engine (throwing a ServiceError if it refuses) with its sink. */
  #accept(request: SubmitRequest, headers: Record<string, string>): void {
    const id = request.requestId;
    const onEnd = () => {
      if (this.#sinks.get(id) === sink) this.#sinks.delete(id);
      this.#tracker.untrack(id);
    };
    const sink: RequestSink =
      request.task === 'prefill'
        ? new PrefillSink(this.#options.client, id, onEnd)
        : new RequestRunner(
            {
              requestId: id,
              numPromptTokens: request.promptTokenIds.length,
              streamStartSeq: request.streamStartSeq,
            },
            { client: this.#options.client, logger: this.#logger, onEnd, ...this.#streamTimings() },
          );
    // Before addRequest: its first step's scheduling already runs inside it.
    const arrivedMs = performance.timeOrigin + performance.now();
    try {
      const samplingParams = SamplingParams.create({
        ...wireSampling.fromWire(request.samplingParams),
        outputKind: 'delta',
      });
      this.#loop.addRequest(
        {
          requestId: id,
          promptTokenIds: request.promptTokenIds,
          samplingParams,
          ...(request.priority === undefined ? {} : { priority: request.priority }),
          ...(request.cacheSalt === undefined ? {} : { cacheSalt: request.cacheSalt }),
          ...(request.task === 'both' ? {} : { kvTransferParams: request.kvTransferParams }),
        },
        observedSink(sink, id, this.#requests),
      );
    } catch (error) {
      if (sink instanceof RequestRunner) sink.failWith(engineErrorToServiceError(error));
      throw engineErrorToServiceError(error);
    }
    this.#sinks.set(id, sink);
    this.#requests?.accepted(id, request.task, request.promptTokenIds.length, headers, arrivedMs);
    if (request.task === 'prefill') this.#transfers.expect(id, request.promptTokenIds.length);
    else this.#tracker.trackSlo(id, request.slo?.tpotMs, request.samplingParams.maxTokens);
  }

  #streamTimings() {
    const { keepaliveMs, lingerMs } = this.#options;
    return {
      ...(keepaliveMs === undefined ? {} : { keepaliveMs }),
      ...(lingerMs === undefined ? {} : { lingerMs }),
    };
  }

  /** Ends the request's stream with `error` and aborts it in the engine (freeing its blocks). */
  #abort(requestId: string, error: ServiceError): void {
    const sink = this.#sinks.get(requestId);
    if (sink instanceof RequestRunner) sink.failWith(error);
    this.#loop.abort(requestId);
  }

  #onKvConnectorEvent(event: KvConnectorEvent): void {
    if (event.type === 'prefillDone') this.#transfers.started(event.requestId);
    if (event.type === 'sendFinished') {
      const done = this.#transfers.finished(event.requestId, event.ok);
      if (done !== null) this.#tracker.observeTransfer(done.bytes, done.ms);
    }
    if (event.type === 'recvFailed') {
      const why = `the prompt's KV did not arrive: ${event.error.message}`;
      this.#abort(event.requestId, new ServiceError('unavailable', why, { retryAfterS: 1 }));
    } else if (event.type === 'sendFinished' && !event.ok) {
      this.#logger.warn(
        { requestId: event.requestId, err: event.error },
        'KV transfer to the decode instance failed',
      );
    }
  }

  #cancel(cancel: Cancel): void {
    if (!this.#sinks.has(cancel.requestId)) {
      this.#earlyCancels.add(cancel.requestId);
      return;
    }
    this.#logger.debug({ requestId: cancel.requestId, reason: cancel.reason }, 'request cancelled');
    // Aborting frees the request's blocks now (or when its transfer lets go); the stream ends with finish reason 'abort'.
    this.#loop.abort(cancel.requestId);
  }
}
