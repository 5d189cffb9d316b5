import {
  type RouteDecision,
  type RouteRequest,
  routeDecisionCodec,
  routeRequestCodec,
  ServiceError,
  subjects,
} from '@pdserve/protocol';
import { consoleLogger, type NatsClient, type RuntimeLogger, type TypedSubscription } from '@pdserve/runtime';
import { AdmissionQueue } from './admission-queue.js';
import { DEFAULT_COST_MODEL_PARAMS } from './cost-model-params.js';
import { type InstanceInputs, learnInputs } from './instance-inputs.js';
import { PlacementLedger } from './placement-ledger.js';
import type { RouteObserver } from './route-observer.js';
import { RouterClusterState } from './router-cluster-state.js';
import { RouterStats } from './router-stats.js';
import type { RouteOutcome, RoutingPolicy } from './routing-policy.js';
import { SloPolicy } from './slo-policy.js';

/** How far back a gateway's arrival time is believed (further: a clock apart from ours). */
const MAX_ARRIVAL_AGE_MS = 10_000;

/**
 * When the request arrived, on this router's clock: the gateway's arrivalTimeMs when it is
 * plausible (not ahead of us, at most MAX_ARRIVAL_AGE_MS back: the same host, or clocks kept in
 * step), so time spent in the gateway counts against TTFT; else the receive time.
 */
function arrivalOf(request: RouteRequest, nowMs: number): number {
  const t = request.arrivalTimeMs;
  return t <= nowMs && t >= nowMs - MAX_ARRIVAL_AGE_MS ? t : nowMs;
}

/** The NATS queue group every router joins, so each RouteRequest reaches one of them. */
export const ROUTER_QUEUE_GROUP = 'pdserve-router';

/** What a RouterService is built from. */
export interface RouterServiceOptions {
  client: NatsClient;
  policy: RoutingPolicy;
  /** Silence after which an instance is dead (default 3000 ms). */
  deadAfterMs?: number;
  /** The discovery bucket's max_age if this router creates it. */
  ttlMs?: number;
  bucket?: string;
  logger?: RuntimeLogger;
  /** Longest a queueable request is held before its last decision (ms; default 1000). */
  maxQueueMs?: number;
  /** How long a placement counts as pending load after a heartbeat (ms; default the cost model's). */
  pendingGraceMs?: number;
  /** Sees each answer (telemetry); absent: none. */
  observer?: RouteObserver;
}

/**
 * One router (design §3 step 2): it keeps a RouterClusterState and answers RouteRequests on
 * `subjects.route(model)` for every model that has live instances, in the ROUTER_QUEUE_GROUP so
 * several routers share the load. Each answer is the policy's decision, or its rejection as a
 * ServiceError reply; a rejection the policy calls queueable is held in an AdmissionQueue and
 * decided again on every heartbeat of the model. The request's arrival is the gateway's arrival
 * time where plausible, else this router's receive time (arrivalOf). Every decision is recorded in a PlacementLedger, whose
 * pending load the next snapshots include until heartbeats show it. The router's main starts one;
 * it holds no state beyond what NATS rebuilds and a few seconds of its own placements.
 */
export class RouterService {
  readonly state: RouterClusterState;
  readonly stats = new RouterStats();
  readonly #options: RouterServiceOptions;
  readonly #logger: RuntimeLogger;
  readonly #subscriptions = new Map<string, TypedSubscription>();
  readonly #ledger: PlacementLedger;
  readonly #queue: AdmissionQueue;

  constructor(options: RouterServiceOptions) {
    this.#options = options;
    this.#logger = options.logger ?? consoleLogger;
    this.#ledger = new PlacementLedger(options.pendingGraceMs ?? DEFAULT_COST_MODEL_PARAMS.pendingGraceMs);
    this.#queue = new AdmissionQueue((r) => this.#decide(r), options.maxQueueMs ?? 1000, {
      admitted: (_r, waitedMs) => this.stats.released(true, waitedMs),
      refused: (_r, waitedMs) => this.stats.released(false, waitedMs),
    });
    this.state = new RouterClusterState(options.client, {
      ...(options.deadAfterMs === undefined ? {} : { deadAfterMs: options.deadAfterMs }),
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      ...(options.bucket === undefined ? {} : { bucket: options.bucket }),
      onModel: (model) => this.#serve(model),
      onUpdate: (model) => this.#queue.retry(model),
    });
  }

  /** The policy deciding here. */
  get policy(): RoutingPolicy {
    return this.#options.policy;
  }

  /** Requests answered with a decision so far. */
  get routed(): number {
    return this.stats.snapshot().routed;
  }

  /** Requests held for capacity now. */
  get queueLength(): number {
    return this.#queue.length;
  }

  /**
   * What the cost model knows of each live instance of `model` now (measured speeds, fitted decode
   * step, queues with this router's pending placements): the SLO policy's inputs, or the same
   * computed with the default priors under another policy.
   */
  learnedInputs(model: string): InstanceInputs[] {
    const snapshot = this.#snapshot(model);
    const policy = this.#options.policy;
    const inputs =
      policy instanceof SloPolicy
        ? policy.inputs(snapshot)
        : learnInputs(snapshot, DEFAULT_COST_MODEL_PARAMS, new SloPolicy().defaults.tpotMs);
    return [...inputs.values()];
  }

  /** Reads the cluster and starts answering; resolves once subscribed. */
  async start(): Promise<void> {
    await this.state.start();
    await this.#options.client.flush();
  }

  /** Stops answering; held requests are refused, requests in flight finish. */
  async stop(): Promise<void> {
    this.#queue.close(new ServiceError('unavailable', 'the router is stopping', { retryAfterS: 1 }));
    await Promise.all([...this.#subscriptions.values()].map((s) => s.drain().catch(() => {})));
    this.#subscriptions.clear();
    this.state.stop();
  }

  /** Decides one request (what the subscription answers with): placed, held then placed, or refused. */
  async route(received: RouteRequest): Promise<RouteDecision> {
    const request = { ...received, arrivalTimeMs: arrivalOf(received, Date.now()) };
    const outcome = this.#decide(request);
    if (outcome.ok) return outcome.decision;
    if (outcome.queueable !== true) {
      this.stats.refused(outcome.error.code);
      throw outcome.error;
    }
    this.stats.held();
    return this.#queue.hold(request);
  }

  /** One decision on a fresh snapshot; a placement is recorded in the ledger and counted. */
  #decide(request: RouteRequest): RouteOutcome {
    const nowMs = Date.now();
    this.#ledger.prune(nowMs);
    const outcome = this.#options.policy.route(request, this.#snapshot(request.model, nowMs));
    if (outcome.ok) {
      const d = outcome.decision;
      this.#ledger.record(request, d, (id) => this.state.blockSize(id), nowMs);
      this.stats.placed(d.mode, d.predictedTtftMs, d.predictedTpotMs);
      this.#logger.debug({ ...d }, 'placed');
    } else {
      const { code, message } = outcome.error;
      this.#logger.debug(
        { requestId: request.requestId, code, message, queueable: outcome.queueable },
        'refused',
      );
    }
    return outcome;
  }

  #snapshot(model: string, nowMs = Date.now()) {
    return this.state.snapshot(model, nowMs, (id, seenAtMs) => this.#ledger.pendingFor(id, seenAtMs));
  }

  #serve(model: string): void {
    if (this.#subscriptions.has(model)) return;
    const subject = subjects.route(model);
    const sub = this.#options.client.serve(
      subject,
      routeRequestCodec,
      routeDecisionCodec,
      (request, meta) => {
        if (request.model !== model) {
          throw new ServiceError(
            'invalid_request',
            `a route request for ${request.model} came on ${subject}`,
          );
        }
        const observer = this.#options.observer;
        return observer
          ? observer.route(request, meta.headers, () => this.route(request))
          : this.route(request);
      },
      { queue: ROUTER_QUEUE_GROUP },
    );
    this.#subscriptions.set(model, sub);
    this.#logger.info({ model, policy: this.#options.policy.name }, 'routing model');
  }
}
