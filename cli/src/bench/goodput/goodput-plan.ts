import type { MixedDatasetConfig } from '@pdserve/loadtest';

/** One cluster configuration the experiment compares. */
export interface GoodputConfig {
  /** Series name in the report. */
  name: string;
  /** Prefill instances (0: colocated instances in role 'both'). */
  prefill: number;
  /** Decode (or colocated) instances. */
  decode: number;
  policy: 'round-robin' | 'heuristic' | 'slo';
}

/** The `mixed` dataset's shape: long documents among chat turns (token counts). */
export type MixedShape = Omit<MixedDatasetConfig, 'kind'>;

/** Latency targets, ms. */
export interface Targets {
  ttftMs: number;
  tpotMs: number;
}

/** Everything one `bench:goodput` run does (defaults in GOODPUT_DEFAULTS, flags override). */
export interface GoodputPlan {
  /** Model file (a random-weight 110m GGUF, written when missing). */
  model: string;
  /** Native threads per engine instance: each instance gets one of the machine's cores. */
  threadsPerInstance: number;
  numBlocks: number;
  maxModelLen: number;
  /** KV cache element type of every instance (bf16 halves the bytes a hand-over moves). */
  kvDtype: 'f32' | 'bf16';
  /**
   * Prefix caching on the instances: off, because every rate replays the same prompts (the mixed
   * dataset shares no prefixes; a cache would only reuse the previous run's prompts).
   */
  enablePrefixCaching: boolean;
  heartbeatMs: number;
  dataset: MixedShape;
  /** Request rates swept per configuration (req/s, Poisson). */
  rates: number[];
  numPrompts: number;
  /** Requests sent one at a time before each configuration's sweep, not counted. */
  numWarmups: number;
  /**
   * Each measured run is bounded by its sending time (numPrompts / rate) plus this many seconds;
   * then in-flight requests are aborted and count as failed.
   */
  drainLimitS: number;
  seed: number;
  configs: GoodputConfig[];
  /** Targets = these multiples of the calibration's unloaded long-prompt TTFT and chat TPOT. */
  ttftScale: number;
  tpotScale: number;
  /** Calibration requests of each kind, one at a time. */
  calibrationRequests: number;
  /** Fixed targets instead of a calibration (flags). */
  targets?: Targets;
  outDir: string;
}

/** The three configurations: round-robin colocated, fixed disaggregated, SLO-aware disaggregated. */
export const GOODPUT_CONFIGS: GoodputConfig[] = [
  { name: 'round-robin-colocated', prefill: 0, decode: 2, policy: 'round-robin' },
  { name: 'disagg-heuristic', prefill: 1, decode: 1, policy: 'heuristic' },
  { name: 'disagg-slo', prefill: 1, decode: 1, policy: 'slo' },
];

/** The experiment as documented in docs/goodput.md (outDir is set per run). */
export const GOODPUT_DEFAULTS: Omit<GoodputPlan, 'outDir' | 'model'> = {
  threadsPerInstance: 1,
  numBlocks: 512,
  maxModelLen: 1024,
  kvDtype: 'bf16',
  enablePrefixCaching: false,
  heartbeatMs: 100,
  dataset: {
    longFraction: 0.2,
    longInputLen: 512,
    longOutputLen: 16,
    chatInputLen: 64,
    chatOutputLen: 48,
    rangeRatio: 0.25,
  },
  rates: [1, 2, 3, 4.5, 6],
  numPrompts: 32,
  numWarmups: 4,
  drainLimitS: 30,
  seed: 1,
  configs: GOODPUT_CONFIGS,
  ttftScale: 2,
  tpotScale: 2,
  calibrationRequests: 4,
};
