import fs from 'node:fs';
import path from 'node:path';
import { writeGgufModel } from './gguf-model.js';
import { writeHfModel } from './hf-writer.js';
import { type LoadModelOptions, loadModel } from './load-model.js';
import type { DType, LoadedModel } from './types.js';

/** Options of convertModel. */
export interface ConvertModelOptions extends LoadModelOptions {
  format: 'hf' | 'gguf';
  /** Weight dtype (default: keep the source's; q8_0 only for GGUF). */
  dtype?: DType;
  /** GGUF general.name. */
  name?: string;
}

/**
 * Converts a model (a path in any format, or an already loaded model) to an HF directory or a GGUF
 * file. q/k rows are permuted as the target needs (HF: rotate-half; GGUF llama: interleaved); the
 * result loads back with the same config apart from ropeStyle. Returns the path written.
 */
export function convertModel(
  source: string | LoadedModel,
  out: string,
  options: ConvertModelOptions,
): string {
  const model = typeof source === 'string' ? loadModel(source, options) : source;
  if (options.format === 'hf') {
    writeHfModel(out, model, options.dtype ? { dtype: options.dtype } : {});
    return out;
  }
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeGgufModel(out, model, {
    ...(options.dtype ? { dtype: options.dtype } : {}),
    ...(options.name ? { name: options.name } : {}),
  });
  return out;
}
