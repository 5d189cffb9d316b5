import { type SpmTokenizer, TokenType } from './spm-tokenizer.js';

type Json = Record<string, unknown>;

const SPACE = '\u2581';

/** The tokenizer.json form of a piece: spaces as ▁, control tokens without llama2.c's newlines. */
function jsonPiece(tok: SpmTokenizer, id: number): string {
  const p = tok.pieces[id];
  const special = tok.types[id] === TokenType.control || tok.types[id] === TokenType.unknown;
  return special ? p.trim() : p.replaceAll(' ', SPACE);
}

/**
 * Every (a, b) with a, b and a+b in the vocabulary, best merged score first: with these ranks, HF's BPE
 * (lowest rank first) merges in the order llama2.c's SPM loop (highest score first) does. Ties between
 * different pieces with equal scores cannot be expressed as ranks; real vocabularies have distinct scores.
 */
function mergesOf(tok: SpmTokenizer, vocab: Map<string, number>): [string, string][] {
  const found: { a: string; b: string; score: number; id: number; k: number }[] = [];
  for (const [piece, id] of vocab) {
    if (tok.types[id] !== TokenType.normal && tok.types[id] !== TokenType.userDefined) continue;
    const chars = Array.from(piece);
    for (let k = 1; k < chars.length; k++) {
      const a = chars.slice(0, k).join('');
      const b = chars.slice(k).join('');
      if (vocab.has(a) && vocab.has(b)) found.push({ a, b, score: tok.scores[id], id, k });
    }
  }
  found.sort((x, y) => y.score - x.score || x.id - y.id || x.k - y.k);
  return found.map((m) => [m.a, m.b]);
}

function addedTokens(tok: SpmTokenizer): Json[] {
  const out: Json[] = [];
  for (let id = 0; id < tok.vocabSize; id++) {
    const t = tok.types[id];
    if (t !== TokenType.control && t !== TokenType.unknown && t !== TokenType.userDefined) continue;
    out.push({
      id,
      content: jsonPiece(tok, id),
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t !== TokenType.userDefined,
    });
  }
  return out;
}

/**
 * Builds a tokenizer.json (Llama-style BPE with byte fallback) and tokenizer_config.json equivalent to an
 * SPM vocabulary, so @huggingface/tokenizers encodes and decodes exactly like SpmTokenizer. One known
 * difference: a literal U+2581 in the input is a space to HF but an ordinary character to llama2.c.
 */
export function spmToTokenizerJson(tok: SpmTokenizer): { tokenizerJson: Json; tokenizerConfig: Json } {
  const vocab = new Map<string, number>();
  for (let id = 0; id < tok.vocabSize; id++) {
    const p = jsonPiece(tok, id);
    if (!vocab.has(p)) vocab.set(p, id);
  }
  const bos = jsonPiece(tok, tok.bosTokenId);
  const unk = jsonPiece(tok, tok.unkTokenId);
  const normalizers = [
    ...(tok.addDummyPrefix ? [{ type: 'Prepend', prepend: SPACE }] : []),
    { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
  ];
  const tokenizerJson: Json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(tok),
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: bos, type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [tok.bosTokenId], tokens: [bos] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(tok.addDummyPrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges: mergesOf(tok, vocab),
    },
  };
  const tokenizerConfig: Json = {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: bos,
    eos_token: jsonPiece(tok, tok.eosTokenIds[0] ?? tok.bosTokenId),
    unk_token: unk,
    clean_up_tokenization_spaces: false,
    legacy: true,
    tokenizer_class: 'LlamaTokenizer',
  };
  return { tokenizerJson, tokenizerConfig };
}
