import type { TokenLogprobs } from '@pdserve/engine';
import type { Tokenizer } from '@pdserve/model';

/** OpenAI's legacy completions logprobs. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

/** One token of OpenAI's chat logprobs. */
export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/** vLLM's prompt_logprobs: per prompt position, token id -> its logprob, rank and text. */
export type PromptLogprobsOut = (Record<
  string,
  { logprob: number; rank: number; decoded_token: string }
> | null)[];

/** JSON has no -Infinity; vLLM reports impossible tokens as -9999. */
const FLOOR = -9999;

function finite(x: number): number {
  return Number.isFinite(x) ? x : FLOOR;
}

/**
 * Formats the engine's TokenLogprobs (entry 0 the chosen token, then the top k) in OpenAI's and
 * vLLM's shapes. Token strings are the tokenizer's pieces (with their leading spaces).
 */
export class LogprobsFormatter {
  private readonly encoder = new TextEncoder();

  constructor(private readonly tokenizer: Tokenizer) {}

  /**
   * Completions logprobs for `tokenIds`; `entries[i]` scores tokenIds[i] (null: no logprob, the
   * first prompt token). Offsets count from `offsetBase`, the text length before these tokens.
   */
  completion(tokenIds: readonly number[], entries: readonly (TokenLogprobs | null)[], offsetBase: number) {
    const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    let offset = offsetBase;
    tokenIds.forEach((id, i) => {
      const token = this.piece(id);
      const e = entries[i] ?? null;
      out.tokens.push(token);
      out.token_logprobs.push(e === null ? null : finite(e.logprobs[0]));
      out.top_logprobs.push(e === null ? null : this.topRecord(e));
      out.text_offset.push(offset);
      offset += token.length;
    });
    return out;
  }

  /** Chat logprobs content for generated tokens: the chosen token and its top alternatives. */
  chat(entries: readonly TokenLogprobs[]): ChatTokenLogprob[] {
    return entries.map((e) => ({
      ...this.tokenEntry(e.tokenIds[0], e.logprobs[0]),
      top_logprobs: e.tokenIds.slice(1).map((id, k) => this.tokenEntry(id, e.logprobs[k + 1])),
    }));
  }

  /** vLLM's prompt_logprobs shape. */
  prompt(entries: readonly (TokenLogprobs | null)[]): PromptLogprobsOut {
    return entries.map((e) => {
      if (e === null) return null;
      const rec: Record<string, { logprob: number; rank: number; decoded_token: string }> = {};
      e.tokenIds.forEach((id, k) => {
        rec[String(id)] ??= {
          logprob: finite(e.logprobs[k]),
          rank: e.ranks[k],
          decoded_token: this.piece(id),
        };
      });
      return rec;
    });
  }

  private topRecord(e: TokenLogprobs): Record<string, number> {
    const rec: Record<string, number> = {};
    e.tokenIds.forEach((id, k) => {
      rec[this.piece(id)] ??= finite(e.logprobs[k]);
    });
    return rec;
  }

  private tokenEntry(id: number, logprob: number) {
    const token = this.piece(id);
    return { token, logprob: finite(logprob), bytes: [...this.encoder.encode(token)] };
  }

  private piece(id: number): string {
    return this.tokenizer.tokenPiece(id);
  }
}
