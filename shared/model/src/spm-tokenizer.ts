import { type SpmEncoderVocab, spmEncode } from './spm-encoder.js';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './types.js';

/** GGUF / SentencePiece token types. */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** A SentencePiece-BPE vocabulary as llama2.c and GGUF 'llama' store it. */
export interface SpmVocab {
  /** Pieces with spaces as ' ' (llama2.c's form; GGUF's U+2581 is converted by the caller). */
  pieces: string[];
  scores: ArrayLike<number>;
  /** TokenType per id; derived from the pieces when absent. */
  types?: ArrayLike<number>;
  /** Raw bytes per piece when they are not valid UTF-8 (llama2.c files); else UTF-8 of `pieces`. */
  pieceBytes?: Uint8Array[];
  bosTokenId: number;
  eosTokenIds: number[];
  unkTokenId?: number;
  /** Prepend ' ' to text (SentencePiece add_dummy_prefix); default true. */
  addDummyPrefix?: boolean;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

function deriveTypes(v: SpmVocab): Uint8Array {
  const types = new Uint8Array(v.pieces.length);
  for (let i = 0; i < types.length; i++) {
    if (v.types) types[i] = v.types[i];
    else if (i === (v.unkTokenId ?? 0)) types[i] = TokenType.unknown;
    else if (i === v.bosTokenId || v.eosTokenIds.includes(i)) types[i] = TokenType.control;
    else if (BYTE_PIECE.test(v.pieces[i])) types[i] = TokenType.byte;
    else types[i] = TokenType.normal;
  }
  return types;
}

/** C's isprint || isspace for one byte (llama2.c's safe_printf keeps only these single bytes). */
function printableByte(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d);
}

/**
 * SentencePiece-BPE tokenizer with llama2.c's encode()/decode() semantics; used for llama2.c tokenizer
 * files and GGUF 'llama' vocabularies. Immutable after construction.
 */
export class SpmTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenIds: number[];
  readonly unkTokenId: number;
  readonly pieces: readonly string[];
  readonly scores: Float32Array;
  readonly types: Uint8Array;
  readonly addDummyPrefix: boolean;
  private readonly pieceBytes: Uint8Array[];
  private readonly encoderVocab: SpmEncoderVocab;
  private readonly byteValue: Int16Array;
  private readonly specialPattern: RegExp | undefined;
  private readonly specialIds = new Map<string, number>();

  constructor(v: SpmVocab) {
    this.vocabSize = v.pieces.length;
    this.bosTokenId = v.bosTokenId;
    this.eosTokenIds = [...v.eosTokenIds];
    this.unkTokenId = v.unkTokenId ?? 0;
    this.pieces = v.pieces;
    this.scores = Float32Array.from(v.scores);
    this.types = deriveTypes(v);
    this.addDummyPrefix = v.addDummyPrefix ?? true;
    const enc = new TextEncoder();
    this.pieceBytes = v.pieceBytes ?? v.pieces.map((p) => enc.encode(p));
    this.byteValue = new Int16Array(this.vocabSize).fill(-1);
    const byteIds = new Int32Array(256).fill(-1);
    const pieceToId = new Map<string, number>();
    for (let id = 0; id < this.vocabSize; id++) {
      const p = v.pieces[id];
      if (!pieceToId.has(p)) pieceToId.set(p, id);
      const m = BYTE_PIECE.exec(p);
      if (m) {
        const b = Number.parseInt(m[1], 16);
        this.byteValue[id] = b;
        if (byteIds[b] < 0) byteIds[b] = id;
      }
      if (this.types[id] === TokenType.control || this.types[id] === TokenType.userDefined) {
        const text = p.trim();
        if (text && !this.specialIds.has(text)) this.specialIds.set(text, id);
      }
    }
    this.encoderVocab = {
      pieceToId,
      pieces: this.pieces,
      scores: this.scores,
      byteIds,
      unkTokenId: this.unkTokenId,
    };
    const alternatives = [...this.specialIds.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.specialPattern = alternatives.length > 0 ? new RegExp(`(${alternatives.join('|')})`) : undefined;
  }

  encode(text: string, options?: EncodeOptions): number[] {
    const ids = (options?.addBos ?? true) ? [this.bosTokenId] : [];
    const parts =
      options?.parseSpecial === false || !this.specialPattern ? [text] : text.split(this.specialPattern);
    // Odd indices of a capturing split are the special tokens; text after a special gets a new prefix.
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 1) ids.push(this.specialIds.get(parts[i])!);
      else if (parts[i] !== '')
        ids.push(...spmEncode(this.encoderVocab, this.addDummyPrefix ? ` ${parts[i]}` : parts[i]));
    }
    return ids;
  }

  decode(ids: number[], options?: DecodeOptions): string {
    const out: number[] = [];
    let prev = options?.prevTokenId;
    let atStart = prev === undefined;
    for (const id of ids) {
      const type = this.types[id];
      if (type === undefined || type === TokenType.control || type === TokenType.unknown) {
        prev = id;
        continue;
      }
      let bytes: ArrayLike<number> = this.byteValue[id] >= 0 ? [this.byteValue[id]] : this.pieceBytes[id];
      if ((atStart || prev === this.bosTokenId) && this.byteValue[id] < 0 && bytes[0] === 0x20) {
        bytes = this.pieceBytes[id].subarray(1);
      }
      atStart = false;
      prev = id;
      if (options?.skipUnprintableBytes && bytes.length === 1 && !printableByte(bytes[0])) continue;
      for (let i = 0; i < bytes.length; i++) out.push(bytes[i]);
    }
    return new TextDecoder().decode(new Uint8Array(out));
  }

  tokenPiece(id: number): string {
    return this.pieces[id] ?? '';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
