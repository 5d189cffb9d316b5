import { Tokenizer as HfJsTokenizer } from '@huggingface/tokenizers';
import { ByteLevel } from './byte-level.js';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './types.js';

type Json = Record<string, unknown>;

/** Ids the model's config fixes; they override what the tokenizer files say. */
export interface HfTokenizerIds {
  bosTokenId?: number;
  eosTokenIds?: number[];
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string')
    return (v as Json).content as string;
  return undefined;
}

function usesByteLevel(json: Json): boolean {
  return JSON.stringify([json.pre_tokenizer ?? null, json.decoder ?? null]).includes('"ByteLevel"');
}

/**
 * A tokenizer.json tokenizer run by @huggingface/tokenizers. Keeps the source JSON so writers can
 * save it again. Special-token text in the input is always recognised (parseSpecial is ignored).
 */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenIds: number[];
  /** Whether encode() adds BOS when not told (tokenizer_config add_bos_token, else whether the post-processor does). */
  readonly addBosByDefault: boolean;
  readonly byteLevel: boolean;
  private readonly tok: HfJsTokenizer;

  constructor(
    readonly tokenizerJson: Json,
    readonly tokenizerConfig: Json = {},
    ids: HfTokenizerIds = {},
  ) {
    this.tok = new HfJsTokenizer(tokenizerJson, tokenizerConfig);
    const vocab = this.tok.get_vocab(true);
    this.vocabSize = Math.max(...vocab.values()) + 1;
    const byName = (key: string) => {
      const name = tokenContent(tokenizerConfig[key]);
      return name === undefined ? undefined : this.tok.token_to_id(name);
    };
    this.bosTokenId = ids.bosTokenId ?? byName('bos_token') ?? -1;
    const eos = ids.eosTokenIds ?? [byName('eos_token')].filter((x): x is number => x !== undefined);
    this.eosTokenIds = [...eos];
    this.byteLevel = usesByteLevel(tokenizerJson);
    this.addBosByDefault =
      typeof tokenizerConfig.add_bos_token === 'boolean'
        ? tokenizerConfig.add_bos_token
        : this.bosTokenId >= 0 && this.tok.encode('a').ids[0] === this.bosTokenId;
  }

  encode(text: string, options?: EncodeOptions): number[] {
    const ids = text === '' ? [] : this.tok.encode(text, { add_special_tokens: false }).ids;
    if ((options?.addBos ?? this.addBosByDefault) && this.bosTokenId >= 0) ids.unshift(this.bosTokenId);
    return ids;
  }

  decode(ids: number[], options?: DecodeOptions): string {
    const kept = options?.skipUnprintableBytes ? ids.filter((id) => !this.unprintableByte(id)) : ids;
    if (kept.length === 0) return '';
    const plain = (x: number[]) => this.tok.decode(x, { skip_special_tokens: true });
    if (options?.prevTokenId === undefined) return plain(kept);
    // Decode with the previous token so its context (leading-space rules) applies, then cut it off.
    const head = plain([options.prevTokenId]);
    const full = plain([options.prevTokenId, ...kept]);
    return full.startsWith(head) ? full.slice(head.length) : plain(kept);
  }

  tokenPiece(id: number): string {
    const t = this.tok.id_to_token(id) ?? '';
    if (this.byteLevel) return new TextDecoder().decode(ByteLevel.toBytes(t));
    return t.replaceAll('\u2581', ' ');
  }

  /** The vocabulary string of an id as stored in tokenizer.json (▁ / byte-level form). */
  rawPiece(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  /** Id of a vocabulary string, or undefined. */
  pieceId(piece: string): number | undefined {
    return this.tok.token_to_id(piece);
  }

  private unprintableByte(id: number): boolean {
    const t = this.tok.id_to_token(id) ?? '';
    const m = BYTE_PIECE.exec(t);
    const b = m ? Number.parseInt(m[1], 16) : t.length === 1 ? t.charCodeAt(0) : -1;
    return b >= 0 && !((b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d)) && (m !== null || b < 0x80);
  }
}
