import { makeModel } from '@pdserve/model';
import { Command } from 'commander';
import { choiceOption, intOption } from '../options.js';

/** `pdserve make-model`: random-weight models of realistic shapes for benchmarks. */
export function makeModelCommand(): Command {
  return new Command('make-model')
    .description('write a random-weight model (with the Llama 2 tokenizer) for benchmarks')
    .requiredOption(
      '--shape <name>',
      'tiny, 110m or 1b-gqa',
      choiceOption(['tiny', '110m', '1b-gqa'] as const),
    )
    .requiredOption('--format <format>', 'hf or gguf', choiceOption(['hf', 'gguf'] as const))
    .requiredOption(
      '--dtype <dtype>',
      'f32, bf16 or q8_0 (q8_0: gguf only)',
      choiceOption(['f32', 'bf16', 'q8_0'] as const),
    )
    .requiredOption('--out <path>', 'output directory (hf) or .gguf file')
    .option('--seed <n>', 'random seed', intOption(0), 0)
    .action(
      (o: {
        shape: 'tiny' | '110m' | '1b-gqa';
        format: 'hf' | 'gguf';
        dtype: 'f32' | 'bf16' | 'q8_0';
        out: string;
        seed: number;
      }) => {
        const { path, config } = makeModel(o);
        console.log(`wrote ${path} (${config.nLayers} layers, dim ${config.dim}, vocab ${config.vocabSize})`);
      },
    );
}
