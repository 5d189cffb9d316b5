import { convertModel } from '@pdserve/model';
import { Command } from 'commander';
import { choiceOption } from '../options.js';

/** `pdserve convert`: rewrites a model in another format (HF directory or GGUF file). */
export function convertCommand(): Command {
  return new Command('convert')
    .description('convert a model (llama2.c, HF directory or GGUF) to an HF directory or a GGUF file')
    .requiredOption('--model <path>', 'source model')
    .option('--tokenizer <path>', 'tokenizer file (llama2.c models)')
    .requiredOption('--to <format>', 'target format: hf or gguf', choiceOption(['hf', 'gguf'] as const))
    .requiredOption('--out <path>', 'output directory (hf) or .gguf file')
    .option(
      '--dtype <dtype>',
      'weight dtype: f32, bf16 or q8_0 (q8_0: gguf only)',
      choiceOption(['f32', 'bf16', 'q8_0'] as const),
    )
    .action(
      (o: {
        model: string;
        tokenizer?: string;
        to: 'hf' | 'gguf';
        out: string;
        dtype?: 'f32' | 'bf16' | 'q8_0';
      }) => {
        const out = convertModel(o.model, o.out, {
          format: o.to,
          ...(o.tokenizer ? { tokenizerPath: o.tokenizer } : {}),
          ...(o.dtype ? { dtype: o.dtype } : {}),
        });
        console.log(`wrote ${out}`);
      },
    );
}
