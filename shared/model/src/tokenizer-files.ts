import { HfTokenizer } from './hf-tokenizer.js';
import { ModelFormatError } from './model-format-error.js';
import { SpmTokenizer } from './spm-tokenizer.js';
import { spmToTokenizerJson } from './spm-tokenizer-json.js';
import type { Tokenizer } from './types.js';

type Json = Record<string, unknown>;

/** tokenizer.json and tokenizer_config.json contents for any tokenizer this package creates. */
export function tokenizerFiles(
  path: string,
  tok: Tokenizer,
  chatTemplate?: string,
): { tokenizerJson: Json; tokenizerConfig: Json } {
  let files: { tokenizerJson: Json; tokenizerConfig: Json };
  if (tok instanceof HfTokenizer) {
    files = { tokenizerJson: tok.tokenizerJson, tokenizerConfig: { ...tok.tokenizerConfig } };
  } else if (tok instanceof SpmTokenizer) {
    files = spmToTokenizerJson(tok);
  } else {
    throw new ModelFormatError(path, 'unsupported', 'cannot serialise this tokenizer as tokenizer.json');
  }
  if (chatTemplate !== undefined) files.tokenizerConfig.chat_template = chatTemplate;
  return files;
}
