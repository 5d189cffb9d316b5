import { GgufMeta } from './gguf-metadata.js';
import type { GgufMetadata } from './gguf-types.js';
import { gpt2TokenizerJson, preTokenizerOf } from './gpt2-tokenizer-json.js';
import { HfTokenizer } from './hf-tokenizer.js';
import { ModelFormatError } from './model-format-error.js';
import { SpmTokenizer, TokenType } from './spm-tokenizer.js';
import type { Tokenizer } from './types.js';

type Json = Record<string, unknown>;
const SPACE = '\u2581';

function required<T>(path: string, v: T | undefined, key: string): T {
  if (v === undefined) throw new ModelFormatError(path, 'invalid', `metadata ${key} is missing`);
  return v;
}

/** Builds the tokenizer a GGUF file describes ('llama' SentencePiece scores or 'gpt2' byte-level BPE). */
export function tokenizerFromGguf(path: string, md: GgufMetadata, eosTokenIds: number[]): Tokenizer {
  const model = GgufMeta.string(md, 'tokenizer.ggml.model');
  const tokens = required(
    path,
    GgufMeta.array(md, 'tokenizer.ggml.tokens'),
    'tokenizer.ggml.tokens',
  ) as string[];
  const types = (GgufMeta.array(md, 'tokenizer.ggml.token_type') as number[] | undefined) ?? [];
  const bos = GgufMeta.number(md, 'tokenizer.ggml.bos_token_id');
  if (model === 'llama') {
    return new SpmTokenizer({
      pieces: tokens.map((t) => t.replaceAll(SPACE, ' ')),
      scores: (GgufMeta.array(md, 'tokenizer.ggml.scores') as number[] | undefined) ?? tokens.map(() => 0),
      ...(types.length === tokens.length ? { types } : {}),
      bosTokenId: bos ?? 1,
      eosTokenIds,
      unkTokenId: GgufMeta.number(md, 'tokenizer.ggml.unknown_token_id') ?? 0,
      addDummyPrefix: GgufMeta.bool(md, 'tokenizer.ggml.add_space_prefix') ?? true,
    });
  }
  if (model === 'gpt2') {
    const pre = GgufMeta.string(md, 'tokenizer.ggml.pre') ?? 'gpt2';
    const preRegex = GgufMeta.string(md, 'pdserve.tokenizer.pre_regex');
    const { tokenizerJson, tokenizerConfig } = gpt2TokenizerJson({
      tokens,
      merges: (GgufMeta.array(md, 'tokenizer.ggml.merges') as string[] | undefined) ?? [],
      types,
      pre,
      ...(preRegex ? { preRegex } : {}),
      ...(bos !== undefined ? { bosTokenId: bos } : {}),
      addBos: GgufMeta.bool(md, 'tokenizer.ggml.add_bos_token') ?? false,
    });
    return new HfTokenizer(tokenizerJson, tokenizerConfig, {
      ...(bos !== undefined ? { bosTokenId: bos } : {}),
      eosTokenIds,
    });
  }
  throw new ModelFormatError(path, 'unsupported', `tokenizer.ggml.model ${model} is not supported`);
}

function spmMetadata(tok: SpmTokenizer): GgufMetadata {
  const tokens = tok.pieces.map((p, id) => {
    const special = tok.types[id] === TokenType.control || tok.types[id] === TokenType.unknown;
    return special ? p.trim() : p.replaceAll(' ', SPACE);
  });
  return new Map([
    ['tokenizer.ggml.model', GgufMeta.str('llama')],
    ['tokenizer.ggml.tokens', GgufMeta.arr('string', tokens)],
    ['tokenizer.ggml.scores', GgufMeta.arr('f32', [...tok.scores])],
    ['tokenizer.ggml.token_type', GgufMeta.arr('i32', [...tok.types])],
    ['tokenizer.ggml.unknown_token_id', GgufMeta.u32(tok.unkTokenId)],
    ['tokenizer.ggml.add_space_prefix', GgufMeta.flag(tok.addDummyPrefix)],
  ]);
}

/** Vocabulary by id, token types and merges of a tokenizer.json. */
function hfVocab(tok: HfTokenizer): { tokens: string[]; types: number[]; merges: string[] } {
  const json = tok.tokenizerJson;
  const model = json.model as Json;
  const tokens: string[] = new Array(tok.vocabSize).fill('');
  const types: number[] = new Array(tok.vocabSize).fill(TokenType.normal);
  for (const [t, id] of Object.entries(model.vocab as Record<string, number>)) {
    tokens[id] = t;
    if (/^<0x[0-9A-F]{2}>$/.test(t) && model.byte_fallback) types[id] = TokenType.byte;
  }
  for (const a of (json.added_tokens as Json[] | undefined) ?? []) {
    tokens[a.id as number] = a.content as string;
    types[a.id as number] = a.special ? TokenType.control : TokenType.userDefined;
  }
  const unk =
    typeof model.unk_token === 'string'
      ? (model.vocab as Record<string, number>)[model.unk_token]
      : undefined;
  if (unk !== undefined) types[unk] = TokenType.unknown;
  const merges = ((model.merges as (string | string[])[]) ?? []).map((m) =>
    Array.isArray(m) ? m.join(' ') : m,
  );
  return { tokens, types, merges };
}

/** SentencePiece-like scores from BPE ranks: a piece scores minus the rank of its first merge. */
function scoresFromMerges(tokens: string[], merges: string[]): number[] {
  const rank = new Map<string, number>();
  merges.forEach((m, i) => {
    const piece = m.replace(' ', '');
    if (!rank.has(piece)) rank.set(piece, i);
  });
  return tokens.map((t) => (rank.has(t) ? -rank.get(t)! : Array.from(t).length > 1 ? -1e9 : 0));
}

function hfMetadata(path: string, tok: HfTokenizer, arch: string): GgufMetadata {
  const { tokens, types, merges } = hfVocab(tok);
  const model = tok.tokenizerJson.model as Json;
  if (model.type !== 'BPE')
    throw new ModelFormatError(path, 'unsupported', `tokenizer model ${model.type} for GGUF`);
  if (tok.byteLevel) {
    const { pre, preRegex } = preTokenizerOf(tok.tokenizerJson);
    const md: GgufMetadata = new Map([
      ['tokenizer.ggml.model', GgufMeta.str('gpt2')],
      ['tokenizer.ggml.pre', GgufMeta.str(pre === 'custom' ? arch : pre)],
      ['tokenizer.ggml.tokens', GgufMeta.arr('string', tokens)],
      ['tokenizer.ggml.token_type', GgufMeta.arr('i32', types)],
      ['tokenizer.ggml.merges', GgufMeta.arr('string', merges)],
    ]);
    if (preRegex) md.set('pdserve.tokenizer.pre_regex', GgufMeta.str(preRegex));
    return md;
  }
  if (!model.byte_fallback)
    throw new ModelFormatError(path, 'unsupported', 'BPE tokenizer without byte fallback');
  const normalizer = JSON.stringify(tok.tokenizerJson.normalizer ?? null);
  return new Map([
    ['tokenizer.ggml.model', GgufMeta.str('llama')],
    ['tokenizer.ggml.tokens', GgufMeta.arr('string', tokens)],
    ['tokenizer.ggml.scores', GgufMeta.arr('f32', scoresFromMerges(tokens, merges))],
    ['tokenizer.ggml.token_type', GgufMeta.arr('i32', types)],
    ['tokenizer.ggml.unknown_token_id', GgufMeta.u32(Math.max(0, types.indexOf(TokenType.unknown)))],
    ['tokenizer.ggml.add_space_prefix', GgufMeta.flag(normalizer.includes('"Prepend"'))],
  ]);
}

/** tokenizer.* metadata for a tokenizer (bos/eos ids and the chat template included). */
export function ggufTokenizerMetadata(
  path: string,
  tok: Tokenizer,
  arch: string,
  chatTemplate?: string,
): GgufMetadata {
  let md: GgufMetadata;
  if (tok instanceof SpmTokenizer) md = spmMetadata(tok);
  else if (tok instanceof HfTokenizer) md = hfMetadata(path, tok, arch);
  else throw new ModelFormatError(path, 'unsupported', 'cannot write this tokenizer to GGUF');
  if (tok.bosTokenId >= 0) md.set('tokenizer.ggml.bos_token_id', GgufMeta.u32(tok.bosTokenId));
  if (tok.eosTokenIds.length > 0) md.set('tokenizer.ggml.eos_token_id', GgufMeta.u32(tok.eosTokenIds[0]));
  const addBos = tok instanceof HfTokenizer ? tok.addBosByDefault : true;
  md.set('tokenizer.ggml.add_bos_token', GgufMeta.flag(addBos));
  if (chatTemplate !== undefined) md.set('tokenizer.chat_template', GgufMeta.str(chatTemplate));
  return md;
}
