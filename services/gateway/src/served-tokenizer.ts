import fs from 'node:fs';
import path from 'node:path';
import {
  detectModelFormat,
  findLlama2cTokenizer,
  HfTokenizer,
  loadModel,
  ModelFormatError,
  parseHfConfig,
  readLlama2cTokenizer,
  type Tokenizer,
} from '@pdserve/model';

/** A model's tokenizer and chat template as a gateway in NATS mode holds them (no weights). */
export interface ServedTokenizer {
  tokenizer: Tokenizer;
  chatTemplate?: string;
  /** The model's own context limit, reported while no instance tells its maxModelLen. */
  maxSeqLen?: number;
}

type Json = Record<string, unknown>;

function readJson(file: string): Json | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  } catch (cause) {
    throw new ModelFormatError(file, 'invalid', 'not valid JSON', { cause });
  }
}

function hfChatTemplate(dir: string, tokenizerConfig: Json): string | undefined {
  const t = tokenizerConfig.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === 'default') ?? named[0])?.template;
  }
  const file = path.join(dir, 'chat_template.jinja');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

function hfTokenizer(dir: string): ServedTokenizer {
  const configPath = path.join(dir, 'config.json');
  const config = parseHfConfig(
    configPath,
    readJson(configPath) ?? {},
    readJson(path.join(dir, 'generation_config.json')),
  );
  const tokenizerJson = readJson(path.join(dir, 'tokenizer.json'));
  if (tokenizerJson === undefined)
    throw new ModelFormatError(path.join(dir, 'tokenizer.json'), 'io', 'file not found');
  const tokenizerConfig = readJson(path.join(dir, 'tokenizer_config.json')) ?? {};
  const tokenizer = new HfTokenizer(tokenizerJson, tokenizerConfig, {
    bosTokenId: config.bosTokenId,
    eosTokenIds: config.eosTokenIds,
  });
  const chatTemplate = hfChatTemplate(dir, tokenizerConfig);
  return { tokenizer, maxSeqLen: config.maxSeqLen, ...(chatTemplate === undefined ? {} : { chatTemplate }) };
}

/**
 * Loads only what the gateway needs of a model to render and tokenize prompts: the llama2.c
 * tokenizer .bin, or a Hugging Face directory's tokenizer files and config (never the weights).
 * GGUF keeps its tokenizer inside the model file, whose reader loads the tensors too: for GGUF
 * the whole model is read once and only the tokenizer is kept.
 */
export function loadServedTokenizer(modelPath: string, tokenizerPath?: string): ServedTokenizer {
  switch (detectModelFormat(modelPath)) {
    case 'llama2c': {
      return { tokenizer: readLlama2cTokenizer(tokenizerPath ?? findLlama2cTokenizer(modelPath)) };
    }
    case 'hf':
      return hfTokenizer(modelPath);
    case 'gguf': {
      const model = loadModel(modelPath);
      return {
        tokenizer: model.tokenizer,
        maxSeqLen: model.config.maxSeqLen,
        ...(model.chatTemplate === undefined ? {} : { chatTemplate: model.chatTemplate }),
      };
    }
  }
}
