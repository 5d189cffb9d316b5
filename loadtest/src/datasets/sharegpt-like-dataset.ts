import type { SeededRandom } from '../random/seeded-random.js';
import type { BenchRequest } from './bench-request.js';
import type { SharegptLikeDatasetConfig } from './dataset-config.js';
import type { PromptBuilder } from './prompt-builder.js';

/** Bounds of the usual ShareGPT filter: inputs and outputs of at least 4 tokens, inputs to 1024. */
const MIN_LEN = 4;
const MAX_INPUT_LEN = 1024;
const MAX_TRIES = 1000;

/**
 * `count` requests whose input and output lengths are independent log-normal draws with the
 * given means and log-space standard deviations (mu = ln(mean) - sigma^2 / 2), redrawn until
 * they pass the ShareGPT filter bounds. Tag `sharegpt`.
 */
export function sharegptLikeDataset(
  c: SharegptLikeDatasetConfig,
  count: number,
  rng: SeededRandom,
  builder: PromptBuilder,
): BenchRequest[] {
  const out: BenchRequest[] = [];
  for (let i = 0; i < count; i++) {
    const [promptLen, outputLen] = drawPair(c, rng);
    out.push({ prompt: builder.build(rng, promptLen), promptLen, outputLen, tag: 'sharegpt' });
  }
  return out;
}

function drawPair(c: SharegptLikeDatasetConfig, rng: SeededRandom): [number, number] {
  if (c.maxTotalLen < 2 * MIN_LEN) throw new RangeError(`max total length must be at least ${2 * MIN_LEN}`);
  const muIn = Math.log(c.inputMean) - (c.inputSigma * c.inputSigma) / 2;
  const muOut = Math.log(c.outputMean) - (c.outputSigma * c.outputSigma) / 2;
  const maxIn = Math.min(MAX_INPUT_LEN, c.maxTotalLen - MIN_LEN);
  for (let t = 0; t < MAX_TRIES; t++) {
    const input = Math.round(rng.logNormal(muIn, c.inputSigma));
    const output = Math.round(rng.logNormal(muOut, c.outputSigma));
    if (input >= MIN_LEN && input <= maxIn && output >= MIN_LEN && input + output <= c.maxTotalLen) {
      return [input, output];
    }
  }
  // Parameters far outside the bounds: clamp rather than loop forever.
  const input = Math.min(maxIn, Math.max(MIN_LEN, Math.round(c.inputMean)));
  return [input, Math.max(MIN_LEN, Math.min(c.maxTotalLen - input, Math.round(c.outputMean)))];
}
