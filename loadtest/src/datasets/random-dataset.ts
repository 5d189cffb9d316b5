import type { SeededRandom } from '../random/seeded-random.js';
import type { BenchRequest } from './bench-request.js';
import type { RandomDatasetConfig } from './dataset-config.js';
import { drawLength } from './draw-length.js';
import type { PromptBuilder } from './prompt-builder.js';

/** `count` requests with random words and lengths drawn around the configured means. */
export function randomDataset(
  c: RandomDatasetConfig,
  count: number,
  rng: SeededRandom,
  builder: PromptBuilder,
): BenchRequest[] {
  const out: BenchRequest[] = [];
  for (let i = 0; i < count; i++) {
    const promptLen = drawLength(rng, c.inputLen, c.rangeRatio);
    const outputLen = drawLength(rng, c.outputLen, c.rangeRatio);
    out.push({ prompt: builder.build(rng, promptLen), promptLen, outputLen, tag: 'random' });
  }
  return out;
}
