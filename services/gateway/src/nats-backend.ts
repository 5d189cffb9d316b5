import { randomBytes } from 'node:crypto';
import { BlockHasher, type RequestOutput, SamplingParams } from '@pdserve/engine';
import { type InstanceInfo, type RouteDecision, type RouteRequest, ServiceError } from '@pdserve/protocol';
import { CancelBus, ClusterView, type NatsClient, TokenStreamSubscriber } from '@pdserve/runtime';
import { wireSampling as wireSamplingOf } from '@pdserve/serving';
import { askRouter, type ClusterCallOptions } from './cluster-route.js';
import { needsColocated, type SubmitBase, submitToCluster } from './cluster-submit.js';
import { type NatsBackendOptions, servedModelOf } from './nats-backend-options.js';
import { RequestRecord } from './request-record.js';
import type { GenerateRequest, ServedModel, ServingBackend } from './serving-backend.js';
import { toServiceError } from './to-service-error.js';
import { tokenBatchOutput } from './token-batch-output.js';
import { type TracedCall, tracedCall, untraced } from './traced-call.js';

/** A request placed on the cluster: its cluster id, its open token stream and where it runs. */
interface Placement {
  ok: true;
  requestId: string;
  stream: TokenStreamSubscriber;
  decision: RouteDecision;
}

type PlaceResult = Placement | { ok: false; error: ServiceError; instanceIds: string[] };

/**
 * The cluster behind the gateway (design §3): models come from discovery (ClusterView) with the
 * tokenizer and chat template the gateway loaded itself; each request is hashed by full blocks
 * (BlockHasher seeded by the model fingerprint), routed by a router, submitted to the decided
 * instances, and its token stream is read back as delta RequestOutputs. An abort (client
 * disconnect) or leaving the iteration early publishes a Cancel, which frees the request's blocks
 * on every instance. No live instance, no router or no reply in time: 'unavailable' with
 * Retry-After. Created by the gateway main in NATS mode (NatsBackend.start).
 */
export class NatsBackend implements ServingBackend {
  readonly #client: NatsClient;
  readonly #options: NatsBackendOptions;
  readonly #view: ClusterView;
  readonly #cancels: CancelBus;
  readonly #models: Map<string, ServedModel>;
  readonly #hashers = new Map<string, BlockHasher>();
  readonly #tag = randomBytes(4).toString('hex');
  readonly #trace: TracedCall;
  #nextId = 0;

  private constructor(options: NatsBackendOptions) {
    this.#client = options.client;
    this.#options = options;
    this.#cancels = new CancelBus(options.client);
    this.#view = new ClusterView(options.client, {
      ...(options.deadAfterMs === undefined ? {} : { deadAfterMs: options.deadAfterMs }),
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      ...(options.bucket === undefined ? {} : { bucket: options.bucket }),
    });
    this.#models = new Map(options.models.map((m) => [m.name, servedModelOf(m)]));
    this.#trace = options.telemetry === undefined ? untraced : tracedCall(options.telemetry.tracer);
  }

  /** Reads discovery and follows it; rejects with ServiceError 'unavailable' when NATS cannot be reached. */
  static async start(options: NatsBackendOptions): Promise<NatsBackend> {
    const backend = new NatsBackend(options);
    await backend.#view.start();
    return backend;
  }

  /** The configured models; maxModelLen is the smallest of the live instances' (the last known while none lives). */
  models(): ServedModel[] {
    return [...this.#models.values()].map((m) => {
      const lens = this.#view.instances({ model: m.name }).map((i) => i.info.maxModelLen);
      if (lens.length > 0) m.maxModelLen = Math.min(...lens);
      return { ...m };
    });
  }

  async *generate(req: GenerateRequest, signal: AbortSignal): AsyncGenerator<RequestOutput> {
    const instances = this.#prepare(req, signal);
    const { requestId, stream, decision } = await this.#placeWithRetry(req, instances[0]);
    RequestRecord.current()?.placed(requestId, decision);
    let finished = false;
    const cancel = () => {
      if (finished) return;
      finished = true;
      this.#cancels.cancel(requestId, 'client disconnected');
      stream.close();
    };
    signal.addEventListener('abort', cancel, { once: true });
    if (signal.aborted) cancel();
    try {
      let cached = decision.numCachedTokens;
      for await (const batch of stream) {
        const output = tokenBatchOutput(batch, req.promptTokenIds, cached);
        cached = output.numCachedTokens;
        if (output.finished) finished = true;
        yield output;
      }
    } catch (error) {
      throw toServiceError(error);
    } finally {
      signal.removeEventListener('abort', cancel);
      cancel();
    }
  }

  /**
   * Places the request; when an instance the router chose cannot take it ('unavailable': gone or
   * shutting down; 'overloaded': no room for a transfer's blocks), routes once more without it, under a new cluster id
   * (the first one was cancelled everywhere).
   */
  async #placeWithRetry(req: GenerateRequest, instance: InstanceInfo): Promise<Placement> {
    const exclude: string[] = [];
    for (let attempt = 0; ; attempt++) {
      const placed = await this.#place(req, instance, exclude);
      if (placed.ok) return placed;
      const retryable = placed.error.code === 'unavailable' || placed.error.code === 'overloaded';
      if (!retryable || attempt >= 1) throw placed.error;
      exclude.push(...placed.instanceIds);
    }
  }

  /** One try: a fresh cluster id, a route, the stream opened, then the submits accepted. */
  async #place(req: GenerateRequest, instance: InstanceInfo, exclude: string[]): Promise<PlaceResult> {
    const requestId = `${req.requestId}:${this.#tag}${(this.#nextId++).toString(36)}`;
    const calls: ClusterCallOptions = {
      timeoutMs: this.#options.routeTimeoutMs ?? 2000,
      retryAfterS: this.#retryAfterS,
      trace: this.#trace,
    };
    const route = {
      ...this.#routeRequest(req, requestId, instance),
      ...(exclude.length > 0 ? { excludeInstanceIds: exclude } : {}),
    };
    const decision = await askRouter(this.#client, route, calls);
    const stream = await TokenStreamSubscriber.open(this.#client, requestId, {
      idleTimeoutMs: this.#options.streamIdleTimeoutMs ?? 10_000,
    });
    try {
      await submitToCluster(this.#client, decision, this.#submitBase(req, requestId), {
        ...calls,
        timeoutMs: this.#options.submitTimeoutMs ?? 5000,
        colocatedOnly: needsColocated(req.sampling),
      });
    } catch (error) {
      stream.close();
      // An instance may hold part of it (a decode reservation): free it.
      this.#cancels.cancel(requestId, 'submit failed');
      const ids = [
        decision.decodeInstanceId,
        ...(decision.prefillInstanceId === undefined ? [] : [decision.prefillInstanceId]),
      ];
      return { ok: false, error: toServiceError(error), instanceIds: ids };
    }
    return { ok: true, requestId, stream, decision };
  }

  async health(): Promise<{ ok: boolean; detail?: unknown }> {
    const instances = this.#view.instances().map((i) => ({
      id: i.info.id,
      role: i.info.role,
      model: i.info.model,
      host: i.info.host,
      pid: i.info.pid,
      numBlocks: i.info.numBlocks,
      ...i.heartbeat.load,
    }));
    const serving = instances.some((i) => i.role !== 'prefill' && this.#models.has(i.model));
    return { ok: this.#client.connected && serving, detail: { nats: this.#client.connected, instances } };
  }

  /** Stops following discovery (the NATS connection belongs to the caller). */
  close(): void {
    this.#view.stop();
  }

  get #retryAfterS(): number {
    return this.#options.retryAfterS ?? 1;
  }

  /** Checks the model, the signal and the sampling parameters; returns the model's live instances. */
  #prepare(req: GenerateRequest, signal: AbortSignal): InstanceInfo[] {
    const model = this.#models.get(req.model);
    if (model === undefined)
      throw new ServiceError('model_not_found', `The model '${req.model}' does not exist`, {
        param: 'model',
      });
    if (signal.aborted) throw new ServiceError('aborted', 'the request was aborted before it started');
    try {
      SamplingParams.create({ ...req.sampling, outputKind: 'delta' }).verifyForVocab(
        model.tokenizer.vocabSize,
      );
    } catch (error) {
      throw toServiceError(error);
    }
    const instances = this.#view.instances({ model: req.model }).map((i) => i.info);
    if (instances.length === 0) {
      throw new ServiceError('unavailable', `no instance serves ${req.model} now`, {
        retryAfterS: this.#retryAfterS,
      });
    }
    return instances;
  }

  #routeRequest(req: GenerateRequest, requestId: string, instance: InstanceInfo): RouteRequest {
    const key = `${instance.blockSize}:${instance.hashSeed}`;
    let hasher = this.#hashers.get(key);
    if (hasher === undefined) {
      hasher = new BlockHasher(instance.blockSize, instance.hashSeed);
      this.#hashers.set(key, hasher);
    }
    return {
      requestId,
      model: req.model,
      numPromptTokens: req.promptTokenIds.length,
      blockHashes: hasher.hashPrompt(req.promptTokenIds, req.cacheSalt),
      maxTokens: req.sampling.maxTokens ?? null,
      ...(req.slo === undefined ? {} : { slo: req.slo }),
      ...(req.priority === undefined ? {} : { priority: req.priority }),
      arrivalTimeMs: Date.now(),
    };
  }

  #submitBase(req: GenerateRequest, requestId: string): SubmitBase {
    return {
      requestId,
      model: req.model,
      promptTokenIds: req.promptTokenIds,
      samplingParams: wireSamplingOf.toWire(req.sampling),
      ...(req.slo === undefined ? {} : { slo: req.slo }),
      ...(req.priority === undefined ? {} : { priority: req.priority }),
      ...(req.cacheSalt === undefined ? {} : { cacheSalt: req.cacheSalt }),
      arrivalTimeMs: Date.now(),
    };
  }
}
