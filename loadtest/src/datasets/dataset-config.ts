/** Random input/output lengths around the given means. */
export interface RandomDatasetConfig {
  kind: 'random';
  inputLen: number;
  outputLen: number;
  rangeRatio: number;
}

/** Groups of requests that share a long prefix, then a random suffix of `inputLen` tokens. */
export interface PrefixDatasetConfig {
  kind: 'prefix';
  prefixLen: number;
  numPrefixes: number;
  inputLen: number;
  outputLen: number;
  rangeRatio: number;
}

/** A share of long documents (RAG, code) among short chat turns. */
export interface MixedDatasetConfig {
  kind: 'mixed';
  longFraction: number;
  longInputLen: number;
  longOutputLen: number;
  chatInputLen: number;
  chatOutputLen: number;
  rangeRatio: number;
}

/** Log-normal input and output lengths shaped like ShareGPT's (see docs/loadtest.md). */
export interface SharegptLikeDatasetConfig {
  kind: 'sharegpt-like';
  inputMean: number;
  inputSigma: number;
  outputMean: number;
  outputSigma: number;
  /** Largest input + output, as the usual ShareGPT filter (inputs also stay in [4, 1024]). */
  maxTotalLen: number;
}

/** Which synthetic dataset to draw, with its parameters. */
export type DatasetConfig =
  | RandomDatasetConfig
  | PrefixDatasetConfig
  | MixedDatasetConfig
  | SharegptLikeDatasetConfig;

/** The dataset names the CLI accepts. */
export const DATASET_KINDS = ['random', 'prefix', 'mixed', 'sharegpt-like'] as const;
