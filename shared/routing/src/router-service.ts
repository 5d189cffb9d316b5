import {
  type RouteDecision,
  type RouteRequest,
  routeDecisionCodec,
  routeRequestCodec,
  ServiceError,
  subjects,
} from '@pdserve/protocol';
import { consoleLogger, type NatsClient, type RuntimeLogger, type TypedSubscription } from '@pdserve/runtime';
import { RouterClusterState } from './router-cluster-state.js';
import type { RoutingPolicy } from './routing-policy.js';

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
}

/**
 * One router (design §3 step 2): it keeps a RouterClusterState and answers RouteRequests on
 * `subjects.route(model)` for every model that has live instances, in the ROUTER_QUEUE_GROUP so
 * several routers share the load. Each answer is the policy's decision, or its rejection as a
 * ServiceError reply. The router's main starts one; it holds no state beyond what NATS rebuilds.
 */
export class RouterService {
  readonly state: RouterClusterState;
  readonly #options: RouterServiceOptions;
  readonly #logger: RuntimeLogger;
  readonly #subscriptions = new Map<string, TypedSubscription>();
  #routed = 0;

  constructor(options: RouterServiceOptions) {
    this.#options = options;
    this.#logger = options.logger ?? consoleLogger;
    this.state = new RouterClusterState(options.client, {
      ...(options.deadAfterMs === undefined ? {} : { deadAfterMs: options.deadAfterMs }),
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      ...(options.bucket === undefined ? {} : { bucket: options.bucket }),
      onModel: (model) => this.#serve(model),
    });
  }

  /** Requests answered with a decision so far. */
  get routed(): number {
    return this.#routed;
  }

  /** Reads the cluster and starts answering; resolves once subscribed. */
  async start(): Promise<void> {
    await this.state.start();
    await this.#options.client.flush();
  }

  /** Stops answering; requests in flight finish. */
  async stop(): Promise<void> {
    await Promise.all([...this.#subscriptions.values()].map((s) => s.drain().catch(() => {})));
    this.#subscriptions.clear();
    this.state.stop();
  }

  /** Decides one request (what the subscription answers with). */
  route(request: RouteRequest): RouteDecision {
    const outcome = this.#options.policy.route(request, this.state.snapshot(request.model));
    if (!outcome.ok) throw outcome.error;
    this.#routed++;
    return outcome.decision;
  }

  #serve(model: string): void {
    if (this.#subscriptions.has(model)) return;
    const subject = subjects.route(model);
    const sub = this.#options.client.serve(
      subject,
      routeRequestCodec,
      routeDecisionCodec,
      (request) => {
        if (request.model !== model) {
          throw new ServiceError(
            'invalid_request',
            `a route request for ${request.model} came on ${subject}`,
          );
        }
        return this.route(request);
      },
      { queue: ROUTER_QUEUE_GROUP },
    );
    this.#subscriptions.set(model, sub);
    this.#logger.info({ model, policy: this.#options.policy.name }, 'routing model');
  }
}
