import fs from 'node:fs';
import path from 'node:path';
import { readFileBytes, withFile } from './file-regions.js';
import { loadGgufModel } from './gguf-model.js';
import { GGUF_MAGIC } from './gguf-types.js';
import { loadHfModel } from './hf-loader.js';
import { loadLlama2cModel } from './llama2c-loader.js';
import { ModelFormatError } from './model-format-error.js';
import type { LoadedModel } from './types.js';

/** Options of loadModel. */
export interface LoadModelOptions {
  /** llama2.c only: the tokenizer .bin (default: tokenizer.bin or tok*.bin beside the checkpoint). */
  tokenizerPath?: string;
}

/** Which format a path holds: a directory with config.json is HF, a file starting 'GGUF' is GGUF, else llama2.c. */
export function detectModelFormat(p: string): LoadedModel['source']['format'] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch (cause) {
    throw new ModelFormatError(p, 'io', 'no such file or directory', { cause });
  }
  if (stat.isDirectory()) {
    if (fs.existsSync(path.join(p, 'config.json'))) return 'hf';
    throw new ModelFormatError(p, 'invalid', 'directory without config.json');
  }
  const head = withFile(p, (fd) => readFileBytes(fd, 0, 4));
  if (head.byteLength === 4 && new DataView(head.buffer).getUint32(0, true) === GGUF_MAGIC) return 'gguf';
  return 'llama2c';
}

/** The tokenizer beside a llama2.c checkpoint: tokenizer.bin, else the first tok*.bin. */
export function findLlama2cTokenizer(checkpoint: string): string {
  const dir = path.dirname(checkpoint);
  const names = fs.readdirSync(dir).sort();
  const found = names.find((n) => n === 'tokenizer.bin') ?? names.find((n) => /^tok.*\.bin$/.test(n));
  if (!found)
    throw new ModelFormatError(checkpoint, 'io', 'llama2.c checkpoint needs a tokenizer: pass tokenizerPath');
  return path.join(dir, found);
}

/** Loads a model in any supported format, detected from the path. */
export function loadModel(p: string, options: LoadModelOptions = {}): LoadedModel {
  switch (detectModelFormat(p)) {
    case 'hf':
      return loadHfModel(p);
    case 'gguf':
      return loadGgufModel(p);
    case 'llama2c':
      return loadLlama2cModel(p, options.tokenizerPath ?? findLlama2cTokenizer(p));
  }
}
