import type { FinishReason, TokenLogprobs } from '@pdserve/engine';
import type { RunEvent } from './run-generation.js';
import type { TokenizedPrompt } from './tokenized-prompt.js';
import { type Usage, usage } from './usage.js';

/** Everything one choice (prompt p, sequence i: index p * n + i) produced so far. */
export interface ChoiceState {
  index: number;
  promptIndex: number;
  text: string;
  tokenCount: number;
  logprobs: TokenLogprobs[];
  finishReason: FinishReason | null;
  stopReason: number | string | null;
  /** Whether a non-empty delta was seen. */
  started: boolean;
}

/** What one output added to one choice. */
export interface ChoiceDelta {
  index: number;
  promptIndex: number;
  /** True for the choice's first non-empty delta (where echo goes). */
  first: boolean;
  /** Length of the choice's text before this delta (the base of text offsets). */
  textBefore: number;
  text: string;
  tokenIds: number[];
  logprobs: TokenLogprobs[] | null;
  finishReason: FinishReason | null;
  stopReason: number | string | null;
}

/**
 * Folds a request's delta outputs into per-choice state and usage counts. The completion and
 * chat routes feed it every RunEvent; non-streaming responses read `choices` at the end,
 * streaming ones send the deltas `apply` returns.
 */
export class GenerationState {
  readonly choices: ChoiceState[] = [];
  private readonly cached: number[];
  private readonly promptLps: ((TokenLogprobs | null)[] | null)[];

  constructor(
    readonly prompts: readonly TokenizedPrompt[],
    readonly n: number,
  ) {
    this.cached = prompts.map(() => 0);
    this.promptLps = prompts.map(() => null);
    prompts.forEach((_, p) => {
      for (let i = 0; i < n; i++) {
        this.choices.push({
          index: p * n + i,
          promptIndex: p,
          text: '',
          tokenCount: 0,
          logprobs: [],
          finishReason: null,
          stopReason: null,
          started: false,
        });
      }
    });
  }

  /** Applies one output; returns what it added per choice (choices it did not touch are absent). */
  apply(event: RunEvent): ChoiceDelta[] {
    const { promptIndex: p, output } = event;
    this.cached[p] = Math.max(this.cached[p], output.numCachedTokens);
    if (output.promptLogprobs !== null)
      this.promptLps[p] = [...(this.promptLps[p] ?? []), ...output.promptLogprobs];
    return output.outputs.map((o) => {
      const choice = this.choices[p * this.n + o.index];
      const empty = o.text === '' && o.tokenIds.length === 0 && o.finishReason === null;
      const delta: ChoiceDelta = {
        index: choice.index,
        promptIndex: p,
        first: !choice.started && !empty,
        textBefore: choice.text.length,
        text: o.text,
        tokenIds: o.tokenIds,
        logprobs: o.logprobs,
        finishReason: o.finishReason,
        stopReason: o.stopReason,
      };
      choice.started ||= !empty;
      choice.text += o.text;
      choice.tokenCount += o.tokenIds.length;
      if (o.logprobs !== null) choice.logprobs.push(...o.logprobs);
      if (o.finishReason !== null) {
        choice.finishReason = o.finishReason;
        choice.stopReason = o.stopReason;
      }
      return delta;
    });
  }

  /** The prompt logprobs received for prompt p (entry 0 null), or null when none were asked for. */
  promptLogprobs(p: number): (TokenLogprobs | null)[] | null {
    return this.promptLps[p];
  }

  /** Usage over all prompts and choices so far. */
  usage(): Usage {
    const prompt = this.prompts.reduce((a, p) => a + p.tokenIds.length, 0);
    const completion = this.choices.reduce((a, c) => a + c.tokenCount, 0);
    return usage(
      prompt,
      completion,
      this.cached.reduce((a, b) => a + b, 0),
    );
  }
}
