import type { SeededRandom } from '../random/seeded-random.js';
import type { BenchRequest } from './bench-request.js';
import type { PrefixDatasetConfig } from './dataset-config.js';
import { drawLength } from './draw-length.js';
import type { PromptBuilder } from './prompt-builder.js';

/**
 * `count` requests in `numPrefixes` groups: each group shares one prefix of `prefixLen` tokens
 * (what a prefix cache can reuse), followed by a random suffix of a drawn length. Requests pick
 * their group at random; the tag names it (`prefix-0`, ...).
 */
export function prefixDataset(
  c: PrefixDatasetConfig,
  count: number,
  rng: SeededRandom,
  builder: PromptBuilder,
): BenchRequest[] {
  if (!(c.numPrefixes >= 1)) throw new RangeError(`num-prefixes must be at least 1, got ${c.numPrefixes}`);
  const prefixes = Array.from({ length: c.numPrefixes }, () => builder.build(rng, c.prefixLen));
  const out: BenchRequest[] = [];
  for (let i = 0; i < count; i++) {
    const group = rng.int(0, c.numPrefixes - 1);
    const suffixLen = drawLength(rng, c.inputLen, c.rangeRatio);
    const outputLen = drawLength(rng, c.outputLen, c.rangeRatio);
    out.push({
      prompt: `${prefixes[group]} ${builder.build(rng, suffixLen)}`,
      promptLen: c.prefixLen + suffixLen,
      outputLen,
      tag: `prefix-${group}`,
    });
  }
  return out;
}
