/** Turns token ids into text; the engine's only view of a tokenizer (injected, e.g. the model's Tokenizer). */
export interface Detokenizer {
  decode(ids: number[]): string;
}

/** Prompt tokens kept as left context, so the first output token decodes with its leading space. */
const INITIAL_OFFSET = 5;

/** Parameters of the stop-string check. */
export interface StopStringOptions {
  stop: readonly string[];
  includeStopStrInOutput: boolean;
  /** Stop strings apply only once more than this many tokens were generated. */
  minTokens: number;
}

/**
 * vLLM-style incremental detokenization of one sequence, with stop strings. Each new token is
 * decoded in a small window from `prefixOffset`; text is emitted only once the window decodes
 * longer than its prefix and does not end in U+FFFD, so a character split over several tokens is
 * never emitted half. Owned by the output processor's per-request state; `update` is called with
 * each step's new tokens, `getNextOutputText` when building an output.
 */
export class IncrementalDetokenizer {
  outputText = '';
  private readonly tokens: number[];
  private prefixOffset = 0;
  private readOffset: number;
  private readonly stopBufferLength: number;
  private lastOutputTextOffset = 0;
  private numOutputTokens = 0;

  constructor(
    private readonly detokenizer: Detokenizer,
    promptTokenIds: readonly number[],
    private readonly options: StopStringOptions,
  ) {
    this.tokens = promptTokenIds.slice(-INITIAL_OFFSET);
    this.readOffset = this.tokens.length;
    // Text that might begin a stop string is held back, unless stop strings stay in the output anyway.
    const longest = Math.max(0, ...options.stop.map((s) => s.length));
    this.stopBufferLength = options.includeStopStrInOutput ? 0 : Math.max(0, longest - 1);
  }

  /**
   * Decodes the new tokens and checks stop strings on the new text. `stopTerminated`: the last
   * token is a stop id or EOS, whose text is left out unless include_stop_str_in_output. Returns
   * the stop string that ended the sequence (output text cut before it, or after it when included),
   * or null.
   */
  update(newTokenIds: readonly number[], stopTerminated: boolean): string | null {
    const skipLast = stopTerminated && !this.options.includeStopStrInOutput;
    const count = skipLast ? newTokenIds.length - 1 : newTokenIds.length;
    const before = this.outputText.length;
    for (let i = 0; i < count; i++) this.outputText += this.decodeNext(newTokenIds[i]);
    this.numOutputTokens += newTokenIds.length;
    if (this.options.stop.length === 0 || this.numOutputTokens <= this.options.minTokens) return null;
    return this.checkStopStrings(this.outputText.length - before);
  }

  /**
   * The text to report: all of it (cumulative) or what was not reported yet (delta). While not
   * finished, the last characters that could begin a stop string are held back.
   */
  getNextOutputText(finished: boolean, delta: boolean): string {
    const end = finished
      ? this.outputText.length
      : Math.max(0, this.outputText.length - this.stopBufferLength);
    if (!delta) return this.outputText.slice(0, end);
    const start = this.lastOutputTextOffset;
    if (end <= start) return '';
    this.lastOutputTextOffset = end;
    return this.outputText.slice(start, end);
  }

  private decodeNext(tokenId: number): string {
    this.tokens.push(tokenId);
    const prefixText = this.detokenizer.decode(this.tokens.slice(this.prefixOffset, this.readOffset));
    const newText = this.detokenizer.decode(this.tokens.slice(this.prefixOffset));
    if (newText.length > prefixText.length && !newText.endsWith('\uFFFD')) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.tokens.length;
      return newText.slice(prefixText.length);
    }
    return '';
  }

  /** Finds the earliest stop string overlapping the last `newChars` characters and cuts the text there. */
  private checkStopStrings(newChars: number): string | null {
    if (newChars === 0) return null;
    const text = this.outputText;
    let found: { index: number; stop: string } | null = null;
    for (const stop of this.options.stop) {
      const from = Math.max(0, text.length - newChars - stop.length + 1);
      const index = text.indexOf(stop, from);
      if (index >= 0 && (found === null || index < found.index)) found = { index, stop };
    }
    if (found === null) return null;
    const cut = this.options.includeStopStrInOutput ? found.index + found.stop.length : found.index;
    this.outputText = text.slice(0, cut);
    return found.stop;
  }
}
