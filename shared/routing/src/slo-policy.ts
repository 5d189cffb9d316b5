import { type RouteDecision, type RouteRequest, ServiceError } from '@pdserve/protocol';
import type { ClusterSnapshot, InstanceSnapshot } from './cluster-snapshot.js';
import { CostModel, type OptionPrediction } from './cost-model.js';
import { type CostModelParams, DEFAULT_COST_MODEL_PARAMS } from './cost-model-params.js';
import { type InstanceInputs, learnInputs } from './instance-inputs.js';
import { kvCompatible } from './kv-compatibility.js';
import { judgeOption, type OptionVerdict, type PlanFractions, type SloTargets } from './option-verdict.js';
import type { RouteOutcome, RoutingPolicy } from './routing-policy.js';

/** The SLO-aware policy's settings (router config `slo.*`). */
export interface SloPolicyOptions {
  /** TTFT target of requests that come without one (ms; default 2000). */
  defaultTtftMs?: number;
  /** TPOT target of requests that come without one (ms; default 100). */
  defaultTpotMs?: number;
  /** Share of the TTFT target the router plans to, a margin for prediction error (default 0.8). */
  ttftPlanFraction?: number;
  /** Share of TPOT targets it plans to (default 0.9: a mean over many steps errs less). */
  tpotPlanFraction?: number;
  /** Longest a request waits at the router for capacity (ms; default 1000). */
  maxQueueMs?: number;
  /** ... and at most this share of its TTFT target (default 0.5). */
  queueFraction?: number;
  /** Smallest Retry-After of a rejection (s; default 1). */
  retryAfterS?: number;
  costModel?: Partial<CostModelParams>;
}

const EPS = 1e-9;
const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Most headroom first; then more prefix hits, colocated before a pair, then ids. */
function better(a: OptionVerdict, b: OptionVerdict): number {
  if (Math.abs(a.headroom - b.headroom) > EPS) return b.headroom - a.headroom;
  const pa = a.prediction;
  const pb = b.prediction;
  if (pa.cachedTokens !== pb.cachedTokens) return pb.cachedTokens - pa.cachedTokens;
  if (pa.mode !== pb.mode) return pa.mode === 'colocated' ? -1 : 1;
  return (
    compareIds(pa.prefill.info.id, pb.prefill.info.id) || compareIds(pa.decode.info.id, pb.decode.info.id)
  );
}

/**
 * The SLO-aware policy with admission control (design §3 step 2). For every option (colocated
 * on each decode or 'both' instance, and each KV-compatible (prefill, decode) pair) the
 * CostModel predicts TTFT and TPOT from the instances' learned inputs; judgeOption checks them
 * against the request's targets (its hints, else the defaults) and the TPOT targets of the
 * requests already decoding there. It places the request where every check holds with the most
 * headroom (or, at a cold start, on an idle instance whose speeds are still priors, to measure
 * them). When none does, it rejects with 'overloaded' and a Retry-After, never trading an
 * admitted request's targets for a new one (goodput, not throughput); the rejection is
 * `queueable` when only the decode batch or KV space is short and TTFT still holds, so the router
 * may hold the request briefly (at most maxQueueMs and queueFraction of its TTFT target).
 */
export class SloPolicy implements RoutingPolicy {
  readonly name = 'slo';
  readonly model: CostModel;
  readonly defaults: SloTargets;
  readonly #plan: PlanFractions;
  readonly #maxQueueMs: number;
  readonly #queueFraction: number;
  readonly #retryAfterS: number;

  constructor(options: SloPolicyOptions = {}) {
    this.model = new CostModel({ ...DEFAULT_COST_MODEL_PARAMS, ...options.costModel });
    this.defaults = { ttftMs: options.defaultTtftMs ?? 2000, tpotMs: options.defaultTpotMs ?? 100 };
    this.#plan = { ttft: options.ttftPlanFraction ?? 0.8, tpot: options.tpotPlanFraction ?? 0.9 };
    this.#maxQueueMs = options.maxQueueMs ?? 1000;
    this.#queueFraction = options.queueFraction ?? 0.5;
    this.#retryAfterS = options.retryAfterS ?? 1;
  }

  /** The request's targets: its SLO hints, else the defaults. */
  targets(request: RouteRequest): SloTargets {
    return {
      ttftMs: request.slo?.ttftMs ?? this.defaults.ttftMs,
      tpotMs: request.slo?.tpotMs ?? this.defaults.tpotMs,
    };
  }

  /** The learned inputs of every instance in `snapshot` (what the predictions start from). */
  inputs(snapshot: ClusterSnapshot): Map<string, InstanceInputs> {
    return learnInputs(snapshot, this.model.params, this.defaults.tpotMs);
  }

  /** Every option for `request`, judged (in no particular order). */
  evaluate(request: RouteRequest, snapshot: ClusterSnapshot): OptionVerdict[] {
    const targets = this.targets(request);
    const elapsedMs = Math.max(0, snapshot.nowMs - request.arrivalTimeMs);
    return this.#predict(request, snapshot).map((p) => judgeOption(p, targets, this.#plan, elapsedMs));
  }

  route(request: RouteRequest, snapshot: ClusterSnapshot): RouteOutcome {
    const verdicts = this.evaluate(request, snapshot);
    if (verdicts.length === 0) {
      return this.#reject('unavailable', `no instance can serve ${snapshot.model} now`, this.#retryAfterS);
    }
    const elapsedMs = Math.max(0, snapshot.nowMs - request.arrivalTimeMs);
    const fits = verdicts.filter((v) => v.misses.length === 0).sort(better);
    // Cold start: a prior too pessimistic for the targets would refuse everything forever, and
    // nothing would be measured; an idle, unmeasured option runs the request to learn its speeds.
    const explore = verdicts.filter((v) => v.prediction.idleUnmeasured && v.prediction.kvFits).sort(better);
    const chosen = fits[0] ?? explore[0];
    if (chosen !== undefined)
      return { ok: true, decision: this.#decision(request, chosen.prediction, elapsedMs) };
    return this.#refuse(request, verdicts, elapsedMs);
  }

  #predict(request: RouteRequest, snapshot: ClusterSnapshot): OptionPrediction[] {
    const excluded = new Set(request.excludeInstanceIds ?? []);
    const live = snapshot.instances.filter(
      (i) => !excluded.has(i.info.id) && i.info.maxModelLen > request.numPromptTokens,
    );
    const decoders = live.filter((i) => i.info.role !== 'prefill');
    if (decoders.length === 0) return [];
    const inputs = this.inputs(snapshot);
    const of = (i: InstanceSnapshot) => inputs.get(i.info.id)!;
    const options = decoders.map((d) => this.model.colocated(request, d, of(d)));
    for (const p of live.filter((i) => i.info.role === 'prefill')) {
      for (const d of decoders) {
        if (kvCompatible(p.info, d.info)) options.push(this.model.disaggregated(request, p, of(p), d, of(d)));
      }
    }
    return options;
  }

  /** No option fits: hold (queueable) when only decode capacity is short, else reject now. */
  #refuse(request: RouteRequest, verdicts: OptionVerdict[], elapsedMs: number): RouteOutcome {
    const targets = this.targets(request);
    const best = [...verdicts].sort(better)[0];
    const p = best.prediction;
    const why =
      `no placement meets TTFT ${targets.ttftMs} ms / TPOT ${targets.tpotMs} ms now ` +
      `(best: ${p.mode} on ${p.decode.info.id}, predicted TTFT ${Math.round(elapsedMs + p.ttftMs)} ms, ` +
      `TPOT ${p.tpotMs.toFixed(1)} ms (running ${p.runningTpotMs.toFixed(1)} ms); misses ${best.misses.join(', ')})`;
    const bound = Math.min(this.#maxQueueMs, this.#queueFraction * targets.ttftMs);
    const waitable = verdicts.some((v) => !v.misses.includes('ttft'));
    if (waitable && elapsedMs < bound) {
      const error = new ServiceError('overloaded', why, { retryAfterS: this.#retryAfterS });
      return { ok: false, error, queueable: true };
    }
    const excess = Math.min(...verdicts.map((v) => v.ttftExcessMs));
    return this.#reject('overloaded', why, Math.max(this.#retryAfterS, Math.ceil(excess / 1000)));
  }

  #decision(request: RouteRequest, p: OptionPrediction, elapsedMs: number): RouteDecision {
    return {
      requestId: request.requestId,
      mode: p.mode,
      ...(p.mode === 'disaggregated' ? { prefillInstanceId: p.prefill.info.id } : {}),
      decodeInstanceId: p.decode.info.id,
      numCachedTokens: p.cachedTokens,
      predictedTtftMs: elapsedMs + p.ttftMs,
      predictedTpotMs: p.tpotMs,
    };
  }

  #reject(code: 'unavailable' | 'overloaded', message: string, retryAfterS: number): RouteOutcome {
    return { ok: false, error: new ServiceError(code, message, { retryAfterS }) };
  }
}
