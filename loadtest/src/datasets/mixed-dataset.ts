import type { SeededRandom } from '../random/seeded-random.js';
import type { BenchRequest } from './bench-request.js';
import type { MixedDatasetConfig } from './dataset-config.js';
import { drawLength } from './draw-length.js';
import type { PromptBuilder } from './prompt-builder.js';

/**
 * `count` requests, each a long document (tag `long`) with probability `longFraction`, else a
 * chat turn (tag `chat`): the workload where long prefills compete with chat decoding.
 */
export function mixedDataset(
  c: MixedDatasetConfig,
  count: number,
  rng: SeededRandom,
  builder: PromptBuilder,
): BenchRequest[] {
  if (!(c.longFraction >= 0 && c.longFraction <= 1)) {
    throw new RangeError(`long fraction must be in [0, 1], got ${c.longFraction}`);
  }
  const out: BenchRequest[] = [];
  for (let i = 0; i < count; i++) {
    const long = rng.next() < c.longFraction;
    const promptLen = drawLength(rng, long ? c.longInputLen : c.chatInputLen, c.rangeRatio);
    const outputLen = drawLength(rng, long ? c.longOutputLen : c.chatOutputLen, c.rangeRatio);
    out.push({ prompt: builder.build(rng, promptLen), promptLen, outputLen, tag: long ? 'long' : 'chat' });
  }
  return out;
}
