import { SeededRandom } from '../random/seeded-random.js';
import type { BenchRequest } from './bench-request.js';
import type { DatasetConfig } from './dataset-config.js';
import { mixedDataset } from './mixed-dataset.js';
import { prefixDataset } from './prefix-dataset.js';
import type { PromptBuilder } from './prompt-builder.js';
import { randomDataset } from './random-dataset.js';
import { sharegptLikeDataset } from './sharegpt-like-dataset.js';

/**
 * `count` requests of the configured dataset, the same for the same seed. Called once per run
 * for the warm-ups plus the measured requests.
 */
export function generateDataset(
  config: DatasetConfig,
  count: number,
  seed: number,
  builder: PromptBuilder,
): BenchRequest[] {
  const rng = new SeededRandom(seed);
  switch (config.kind) {
    case 'random':
      return randomDataset(config, count, rng, builder);
    case 'prefix':
      return prefixDataset(config, count, rng, builder);
    case 'mixed':
      return mixedDataset(config, count, rng, builder);
    case 'sharegpt-like':
      return sharegptLikeDataset(config, count, rng, builder);
  }
}
