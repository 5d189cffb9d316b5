import fs from 'node:fs';
import path from 'node:path';
import { parseHfConfig } from './hf-config.js';
import { HfTokenizer } from './hf-tokenizer.js';
import { ModelFormatError } from './model-format-error.js';
import { readSafetensorsDir } from './safetensors.js';
import { checkTensors } from './tensor-layout.js';
import type { LoadedModel } from './types.js';

type Json = Record<string, unknown>;

function readJson(file: string, required: boolean): Json | undefined {
  if (!fs.existsSync(file)) {
    if (required) throw new ModelFormatError(file, 'io', 'file not found');
    return undefined;
  }
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  } catch (cause) {
    throw new ModelFormatError(file, 'invalid', 'not valid JSON', { cause });
  }
}

/** tokenizer_config.json's chat_template (a string, or a list of named ones), else chat_template.jinja. */
function chatTemplateOf(dir: string, tokenizerConfig: Json): string | undefined {
  const t = tokenizerConfig.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === 'default') ?? named[0])?.template;
  }
  const file = path.join(dir, 'chat_template.jinja');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/**
 * Loads a Hugging Face model directory: config.json (+ generation_config.json), model.safetensors or
 * sharded safetensors with an index, tokenizer.json and tokenizer_config.json. q/k rows are in HF's
 * rotate-half order, so the config says ropeStyle 'neox'.
 */
export function loadHfModel(dir: string): LoadedModel {
  const configPath = path.join(dir, 'config.json');
  const config = parseHfConfig(
    configPath,
    readJson(configPath, true)!,
    readJson(path.join(dir, 'generation_config.json'), false),
  );
  const tensors = checkTensors(dir, config, readSafetensorsDir(dir));
  const tokenizerJson = readJson(path.join(dir, 'tokenizer.json'), true)!;
  const tokenizerConfig = readJson(path.join(dir, 'tokenizer_config.json'), false) ?? {};
  let tokenizer: HfTokenizer;
  try {
    tokenizer = new HfTokenizer(tokenizerJson, tokenizerConfig, {
      bosTokenId: config.bosTokenId,
      eosTokenIds: config.eosTokenIds,
    });
  } catch (cause) {
    throw new ModelFormatError(path.join(dir, 'tokenizer.json'), 'invalid', 'tokenizer cannot be built', {
      cause,
    });
  }
  const chatTemplate = chatTemplateOf(dir, tokenizerConfig);
  return {
    source: { path: dir, format: 'hf' },
    config,
    tensors,
    tokenizer,
    ...(chatTemplate !== undefined ? { chatTemplate } : {}),
  };
}
