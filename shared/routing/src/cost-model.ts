import type { RouteRequest } from '@pdserve/protocol';
import { cachedPrefixBlocks, type InstanceSnapshot } from './cluster-snapshot.js';
import type { CostModelParams } from './cost-model-params.js';
import { stepMsAt } from './decode-step-fit.js';
import type { InstanceInputs } from './instance-inputs.js';

/** Where a request could run: prefill and decode on one instance, or a (prefill, decode) pair. */
export type PlacementMode = 'colocated' | 'disaggregated';

/** What the cost model predicts for one placement option, with the terms it added up. */
export interface OptionPrediction {
  mode: PlacementMode;
  /** The instance that prefills (the decode instance itself when colocated). */
  prefill: InstanceSnapshot;
  decode: InstanceSnapshot;
  /** Prompt tokens found in the prefill side's prefix cache. */
  cachedTokens: number;
  uncachedTokens: number;
  /** Predicted time to first token from now (ms). */
  ttftMs: number;
  /** Predicted time per output token of this request: the decode side's step with it added (ms). */
  tpotMs: number;
  /**
   * Predicted TPOT of the requests already decoding there once this one is placed: the same step
   * plus the prefill work the decode side runs itself (its queue, and this prompt when colocated)
   * spread over their output tokens (ms).
   */
  runningTpotMs: number;
  /** The tightest TPOT target of the requests already on the decode side (null: none there). */
  runningTpotTargetMs: number | null;
  /** Whether both sides have the KV blocks the request needs. */
  kvFits: boolean;
  /**
   * Both sides idle (nothing queued, running or pending) and some speed only a prior: the
   * prediction is a guess that running the request would replace with a measurement.
   */
  idleUnmeasured: boolean;
  /** Nothing decodes, waits or is pending on the decode side: this request would decode alone. */
  decodeIdle: boolean;
  terms: {
    queueMs: number;
    prefillMs: number;
    transferMs: number;
    /** One decode step of the decode side: when a transferred request joins its batch. */
    joinMs: number;
    batchSize: number;
    stepMs: number;
    /** Decode time running requests lose per output token to prefill work the decode side runs itself. */
    interferenceMs: number;
    /** The decode side's measured inter-token latency scaled to batch + 1 (0: nothing decodes there). */
    observedMs: number;
  };
}

const blocksFor = (tokens: number, blockSize: number) => Math.ceil(tokens / blockSize);

const idle = (i: InstanceInputs) => i.queuedPromptTokens === 0 && i.batchSize === 0;

const idleUnmeasured = (i: InstanceInputs) =>
  idle(i) && (i.prefillSource === 'prior' || i.decodeSource === 'prior');

/**
 * DistServe-style latency model of one placement (design §3 step 2), a pure function of the
 * request, the instances and their learned inputs (learnInputs):
 * - TTFT = submit overhead + queue wait at the prefill side (queued prompt tokens / its measured
 *   prefill rate) + prefill of the uncached tokens (prefix hits from KV events) at that rate, and
 *   for a pair: + a second submit + KV bytes / measured (or default) transfer speed (after what
 *   is left of the hand-overs under way) + one decode step of the decode side (it joins its batch).
 * - TPOT = the decode side's fitted step time at its batch after adding this request. The requests
 *   already running there also lose the prefill work the decode side runs itself (its queue, and
 *   this prompt when colocated) spread over their output tokens: chunked prefill steals that time
 *   from their decode steps (the new request's own prefill, and the queue ahead of it, run before
 *   its first token; a transferred request is stalled by the local work left when it joins).
 *   Both are at least the inter-token latency its requests measured lately (scaled from its batch
 *   to one more): the fit sees isolated steps, not the host's other load or the gaps between them.
 * SloPolicy compares the options; the heuristic and round-robin policies do not use it.
 */
export class CostModel {
  readonly params: CostModelParams;

  constructor(params: CostModelParams) {
    this.params = params;
  }

  /** Prefill and decode on `instance` (a decode or 'both' instance). */
  colocated(request: RouteRequest, instance: InstanceSnapshot, inputs: InstanceInputs): OptionPrediction {
    const { cached, uncached } = this.#prefix(request, instance);
    const rate = inputs.prefillTokensPerS;
    const queueMs = (inputs.queuedPromptTokens * 1000) / rate;
    const prefillMs = (uncached * 1000) / rate;
    const decode = this.#decode(inputs, queueMs + prefillMs);
    const blockSize = instance.info.blockSize;
    const needed = blocksFor(request.numPromptTokens + this.#outputTokens(request), blockSize);
    return {
      mode: 'colocated',
      prefill: instance,
      decode: instance,
      cachedTokens: cached,
      uncachedTokens: uncached,
      ttftMs: this.params.submitOverheadMs + queueMs + prefillMs,
      tpotMs: Math.max(decode.stepMs, decode.observedMs),
      runningTpotMs: Math.max(
        decode.stepMs + decode.interferenceMs,
        decode.observedMs + prefillMs / Math.max(1, inputs.runningOutputTokens),
      ),
      runningTpotTargetMs: inputs.runningTpotTargetMs,
      kvFits: needed - Math.floor(cached / blockSize) <= inputs.freeBlocks,
      idleUnmeasured: idleUnmeasured(inputs),
      decodeIdle: idle(inputs),
      terms: { queueMs, prefillMs, transferMs: 0, joinMs: 0, ...decode },
    };
  }

  /** Prefill on `prefill`, KV handed to `decode`, which decodes. */
  disaggregated(
    request: RouteRequest,
    prefill: InstanceSnapshot,
    prefillInputs: InstanceInputs,
    decode: InstanceSnapshot,
    decodeInputs: InstanceInputs,
  ): OptionPrediction {
    const { cached, uncached } = this.#prefix(request, prefill);
    const rate = prefillInputs.prefillTokensPerS;
    const queueMs = (prefillInputs.queuedPromptTokens * 1000) / rate;
    const prefillMs = (uncached * 1000) / rate;
    const promptBlocks = blocksFor(request.numPromptTokens, prefill.info.blockSize);
    const bw = prefillInputs.transferBytesPerS;
    // Hand-overs under way go first, but only what is left of them once this prompt is prefilled.
    const aheadMs = Math.max(0, (prefillInputs.transferBytesInFlight * 1000) / bw - queueMs - prefillMs);
    const transferMs = (promptBlocks * prefill.info.kvLayout.blockBytes * 1000) / bw + aheadMs;
    const localMs = (decodeInputs.queuedPromptTokens * 1000) / decodeInputs.prefillTokensPerS;
    const d = this.#decode(decodeInputs, localMs);
    const decodeBlocks = blocksFor(
      request.numPromptTokens + this.#outputTokens(request),
      decode.info.blockSize,
    );
    const prefillBlocks = promptBlocks - Math.floor(cached / prefill.info.blockSize);
    const ttftMs = 2 * this.params.submitOverheadMs + queueMs + prefillMs + transferMs + d.stepMs;
    return {
      mode: 'disaggregated',
      prefill,
      decode,
      cachedTokens: cached,
      uncachedTokens: uncached,
      ttftMs,
      // It joins the decode side after its transfer; the local prefill work still left there then stalls it.
      tpotMs: Math.max(
        d.stepMs + Math.max(0, localMs - ttftMs) / Math.max(1, this.#outputTokens(request)),
        d.observedMs,
      ),
      runningTpotMs: Math.max(d.stepMs + d.interferenceMs, d.observedMs),
      runningTpotTargetMs: decodeInputs.runningTpotTargetMs,
      kvFits: decodeBlocks <= decodeInputs.freeBlocks && prefillBlocks <= prefillInputs.freeBlocks,
      idleUnmeasured: idleUnmeasured(prefillInputs) && idleUnmeasured(decodeInputs),
      decodeIdle: idle(decodeInputs),
      terms: { queueMs, prefillMs, transferMs, joinMs: d.stepMs, ...d },
    };
  }

  /**
   * The decode side's step at its batch plus this request, the prefill time running requests lose
   * per token, and the inter-token latency its requests saw lately scaled to the larger batch (0
   * when nothing decodes there): what the fit misses (contention, overheads) shows there first.
   */
  #decode(inputs: InstanceInputs, localPrefillMs: number) {
    const batchSize = inputs.batchSize + 1;
    const stepMs = stepMsAt(inputs.decodeFit, batchSize);
    const interferenceMs = localPrefillMs / Math.max(1, inputs.runningOutputTokens);
    const now = stepMsAt(inputs.decodeFit, inputs.batchSize);
    const observedMs =
      inputs.observedItlMs !== null && inputs.batchSize > 0 && now > 0
        ? (inputs.observedItlMs * stepMs) / now
        : 0;
    return { batchSize, stepMs, interferenceMs, observedMs };
  }

  #outputTokens(request: RouteRequest): number {
    return request.maxTokens ?? this.params.defaultOutputTokens;
  }

  /** Cached and uncached prompt tokens on `instance` (the engine always computes the last token). */
  #prefix(request: RouteRequest, instance: InstanceSnapshot) {
    const blocks = cachedPrefixBlocks(instance, request.blockHashes);
    const cached = Math.min(blocks * instance.info.blockSize, Math.max(0, request.numPromptTokens - 1));
    return { cached, uncached: request.numPromptTokens - cached };
  }
}
