import { TokenType } from './spm-tokenizer.js';

type Json = Record<string, unknown>;

/** Pre-tokenizer split patterns by llama.cpp's `tokenizer.ggml.pre` name. */
export const PRE_TOKENIZER_REGEX: Record<string, string> = {
  gpt2: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  'llama-bpe':
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  qwen2:
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

/** A GGUF 'gpt2' (byte-level BPE) vocabulary. */
export interface Gpt2Vocab {
  tokens: string[];
  merges: string[];
  types: ArrayLike<number>;
  /** llama.cpp pre-tokenizer name ('gpt2', 'llama-bpe', 'qwen2', ...). */
  pre: string;
  /** The split regex when it is none of the known ones. */
  preRegex?: string;
  bosTokenId?: number;
  addBos: boolean;
}

/** Finds the split regex of a byte-level tokenizer.json and names it as llama.cpp would. */
export function preTokenizerOf(tokenizerJson: Json): { pre: string; preRegex?: string } {
  const text = JSON.stringify(tokenizerJson.pre_tokenizer ?? null);
  const m = /"Regex":("(?:[^"\\]|\\.)*")/.exec(text);
  if (!m) return { pre: 'gpt2' };
  const regex = JSON.parse(m[1]) as string;
  const known = Object.entries(PRE_TOKENIZER_REGEX).find(([, r]) => r === regex);
  return known ? { pre: known[0] } : { pre: 'custom', preRegex: regex };
}

/** Builds a byte-level BPE tokenizer.json (for @huggingface/tokenizers) from GGUF 'gpt2' metadata. */
export function gpt2TokenizerJson(v: Gpt2Vocab): { tokenizerJson: Json; tokenizerConfig: Json } {
  const regex = v.preRegex ?? PRE_TOKENIZER_REGEX[v.pre] ?? PRE_TOKENIZER_REGEX.gpt2;
  const added: Json[] = [];
  v.tokens.forEach((content, id) => {
    const t = v.types[id];
    if (t !== TokenType.control && t !== TokenType.userDefined) return;
    const special = t === TokenType.control;
    added.push({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: !special,
      special,
    });
  });
  const vocab: Record<string, number> = {};
  v.tokens.forEach((t, id) => {
    if (!(t in vocab)) vocab[t] = id;
  });
  const bos = v.bosTokenId !== undefined ? v.tokens[v.bosTokenId] : undefined;
  const tokenizerJson: Json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: v.pre === 'qwen2' ? { type: 'NFC' } : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: v.pre === 'llama-bpe',
      vocab,
      merges: v.merges,
    },
  };
  const tokenizerConfig: Json = { add_bos_token: v.addBos, clean_up_tokenization_spaces: false };
  if (bos !== undefined) tokenizerConfig.bos_token = bos;
  return { tokenizerJson, tokenizerConfig };
}
