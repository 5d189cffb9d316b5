import type { ClusterSnapshot, InstanceSnapshot } from './cluster-snapshot.js';
import { pendingOf } from './cluster-snapshot.js';
import type { CostModelParams } from './cost-model-params.js';
import { type DecodeStepFit, fitDecodeSteps } from './decode-step-fit.js';

/** Prompt tokens assumed per queued request when an engine does not report queuedPromptTokens. */
const ASSUMED_QUEUED_PROMPT_TOKENS = 512;

/**
 * What the cost model knows of one instance at decision time: its measured speeds (or, until it
 * measured them, the mean of its model's other instances, or the configured prior) and its load,
 * heartbeat plus this router's pending placements. Also what the router exposes as its learned
 * inputs (RouterService.learnedInputs).
 */
export interface InstanceInputs {
  instanceId: string;
  prefillTokensPerS: number;
  /** 'own': this instance measured it; 'model': other instances' mean; 'prior': configured. */
  prefillSource: 'own' | 'model' | 'prior';
  decodeFit: DecodeStepFit;
  decodeSource: 'own' | 'model' | 'prior';
  transferBytesPerS: number;
  transferSource: 'own' | 'model' | 'default';
  /** KV bytes of its hand-overs under way (a prefill instance's next transfer queues behind them). */
  transferBytesInFlight: number;
  /** Inter-token latency its decoding requests saw lately (ms; null: not measured lately). */
  observedItlMs: number | null;
  /** Prefill work queued ahead of a new request here (tokens). */
  queuedPromptTokens: number;
  /** Sequences decoding here once the queued ones join (before a new request). */
  batchSize: number;
  /** Free KV blocks left after the pending placements. */
  freeBlocks: number;
  /** The tightest TPOT target (ms) among requests already here; null when none decode here. */
  runningTpotTargetMs: number | null;
  /** Output tokens a running request's TPOT averages over (its max_tokens, as reported, else the default). */
  runningOutputTokens: number;
}

const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * The inputs of every instance in `snapshot`. `defaultTpotMs` is the router's TPOT target for
 * requests that came without one. Pure.
 */
export function learnInputs(
  snapshot: ClusterSnapshot,
  params: CostModelParams,
  defaultTpotMs: number,
): Map<string, InstanceInputs> {
  const all = snapshot.instances;
  const modelPrefill = mean(all.map((i) => i.load.prefillTokensPerS).filter((r) => r > 0));
  const decoders = all.filter((i) => i.info.role !== 'prefill');
  const modelSamples = decoders.flatMap((i) => i.load.decodeStepMs);
  const modelTransfer = mean(all.flatMap((i) => i.load.kvTransferBytesPerS ?? []));
  const prior = { interceptMs: params.priorDecodeStepMs, slopeMsPerSeq: params.priorDecodeStepMsPerSeq };
  const out = new Map<string, InstanceInputs>();
  for (const i of all) {
    const own = i.load;
    const ownDecode = own.decodeStepMs.length > 0;
    out.set(i.info.id, {
      instanceId: i.info.id,
      ...pickPrefill(
        own.prefillTokensPerS > 0 ? own.prefillTokensPerS : null,
        modelPrefill,
        params.priorPrefillTokensPerS,
      ),
      decodeFit: fitDecodeSteps(ownDecode ? own.decodeStepMs : modelSamples, prior),
      decodeSource: ownDecode ? 'own' : modelSamples.length > 0 ? 'model' : 'prior',
      ...pickTransfer(own.kvTransferBytesPerS ?? null, modelTransfer, params.defaultTransferBytesPerS),
      ...loadOf(i, defaultTpotMs),
      runningOutputTokens: own.meanMaxTokens ?? params.defaultOutputTokens,
      transferBytesInFlight: own.kvTransferBytesInFlight ?? 0,
      observedItlMs: own.decodeItlMs ?? null,
    });
  }
  return out;
}

function pickPrefill(own: number | null, model: number | null, prior: number) {
  if (own !== null) return { prefillTokensPerS: own, prefillSource: 'own' as const };
  if (model !== null) return { prefillTokensPerS: model, prefillSource: 'model' as const };
  return { prefillTokensPerS: prior, prefillSource: 'prior' as const };
}

function pickTransfer(own: number | null, model: number | null, fallback: number) {
  if (own !== null) return { transferBytesPerS: own, transferSource: 'own' as const };
  if (model !== null) return { transferBytesPerS: model, transferSource: 'model' as const };
  return { transferBytesPerS: fallback, transferSource: 'default' as const };
}

/** Queue, batch, free blocks and the running requests' tightest TPOT target, pending placements included. */
function loadOf(i: InstanceSnapshot, defaultTpotMs: number) {
  const load = i.load;
  const pending = pendingOf(i);
  const queued = load.queuedPromptTokens ?? load.queueLength * ASSUMED_QUEUED_PROMPT_TOKENS;
  const present = load.numRunning + load.numWaiting;
  // Engines that do not report SLOs: every request there is held to the default.
  const withoutSlo = load.numWithoutTpotSlo ?? present;
  const targets = [
    load.minTpotSloMs ?? Number.POSITIVE_INFINITY,
    (withoutSlo > 0 && present > 0) || pending.numWithoutTpotSlo > 0
      ? defaultTpotMs
      : Number.POSITIVE_INFINITY,
    pending.minTpotMs ?? Number.POSITIVE_INFINITY,
  ];
  const tightest = Math.min(...targets);
  return {
    queuedPromptTokens: queued + pending.promptTokens,
    batchSize: present + pending.decodeRequests,
    freeBlocks: Math.max(0, load.numFreeBlocks - pending.blocks),
    runningTpotTargetMs: Number.isFinite(tightest) && present + pending.decodeRequests > 0 ? tightest : null,
  };
}
