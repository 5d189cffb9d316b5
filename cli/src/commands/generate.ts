import { createModelEngine } from '@pdserve/engine';
import { loadModel } from '@pdserve/model';
import { Command } from 'commander';
import { choiceOption, intListOption, intOption, numberOption } from '../options.js';

interface GenerateOptions {
  model: string;
  tokenizer?: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  minP?: number;
  seed?: number;
  stopTokenIds?: number[];
  ignoreEos?: boolean;
  dtype: 'f32' | 'bf16' | 'q8_0';
  json?: boolean;
}

/** `pdserve generate`: one prompt through the engine on the native runner. */
export function generateCommand(): Command {
  return new Command('generate')
    .description('generate text for one prompt')
    .requiredOption('--model <path>', 'llama2.c checkpoint, HF directory or GGUF file')
    .option('--tokenizer <path>', 'tokenizer file (llama2.c models)')
    .requiredOption('--prompt <text>', 'the prompt (BOS is prepended)')
    .option('--max-tokens <n>', 'tokens to generate at most', intOption(1), 64)
    .option('--temperature <t>', '0 = greedy', numberOption(0, 100), 1)
    .option('--top-k <k>', 'keep the k most likely tokens (0 or -1: all)', intOption(-1))
    .option('--top-p <p>', 'nucleus sampling mass', numberOption(Number.MIN_VALUE, 1))
    .option('--min-p <p>', 'drop tokens below p times the top probability', numberOption(0, 1))
    .option('--seed <n>', 'sampling seed', intOption(0))
    .option('--stop-token-ids <ids>', 'comma-separated token ids that end generation', intListOption)
    .option('--ignore-eos', 'keep generating past EOS')
    .option(
      '--dtype <dtype>',
      'weights in memory: f32, bf16 or q8_0',
      choiceOption(['f32', 'bf16', 'q8_0'] as const),
      'f32',
    )
    .option('--json', 'print one JSON object')
    .action(runGenerate);
}

async function runGenerate(o: GenerateOptions): Promise<void> {
  const model = loadModel(o.model, o.tokenizer ? { tokenizerPath: o.tokenizer } : {});
  const engine = createModelEngine(model, { dtype: o.dtype });
  try {
    const promptTokenIds = model.tokenizer.encode(o.prompt);
    const [out] = await engine.llm.generate(promptTokenIds, {
      maxTokens: o.maxTokens,
      temperature: o.temperature,
      ...(o.topK === undefined ? {} : { topK: o.topK === 0 ? -1 : o.topK }),
      ...(o.topP === undefined ? {} : { topP: o.topP }),
      ...(o.minP === undefined ? {} : { minP: o.minP }),
      ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(o.stopTokenIds ? { stopTokenIds: o.stopTokenIds } : {}),
      ignoreEos: o.ignoreEos === true,
    });
    const completion = out!.outputs[0]!;
    if (o.json) {
      console.log(
        JSON.stringify({
          prompt_token_ids: out!.promptTokenIds,
          token_ids: completion.tokenIds,
          text: completion.text,
          finish_reason: completion.finishReason,
        }),
      );
    } else {
      process.stdout.write(`${o.prompt}${completion.text}\n`);
    }
  } finally {
    engine.close();
  }
}
