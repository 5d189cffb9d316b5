import type { TokenLogprobs } from '@pdserve/engine';
import type { ChoiceDelta, ChoiceState, GenerationState } from './generation-state.js';
import type { CompletionLogprobs, LogprobsFormatter } from './logprobs-format.js';
import type { RunEvent } from './run-generation.js';
import type { GenerationView } from './serve-generation.js';
import type { TokenizedPrompt } from './tokenized-prompt.js';

/** What a completions response needs to know about its request. */
export interface CompletionViewOptions {
  id: string;
  created: number;
  model: string;
  n: number;
  stream: boolean;
  echo: boolean;
  /** Whether the request asked for logprobs (OpenAI's integer, any value). */
  logprobs: boolean;
  /** Whether the request asked for vLLM's prompt_logprobs. */
  promptLogprobs: boolean;
  includeUsage: boolean;
  formatter: LogprobsFormatter;
}

/** OpenAI's text_completion body and chunks (plus vLLM's stop_reason and prompt_logprobs). */
export class CompletionView implements GenerationView {
  constructor(private readonly o: CompletionViewOptions) {}

  get stream(): boolean {
    return this.o.stream;
  }

  get n(): number {
    return this.o.n;
  }

  async *chunks(events: AsyncIterator<RunEvent>, state: GenerationState): AsyncGenerator<unknown> {
    const usageNull = this.o.includeUsage ? { usage: null } : {};
    for (let r = await events.next(); !r.done; r = await events.next()) {
      for (const d of state.apply(r.value)) {
        if (!d.first && d.text === '' && d.tokenIds.length === 0 && d.finishReason === null) continue;
        yield {
          ...this.head(),
          choices: [this.streamChoice(d, state.prompts[d.promptIndex], state)],
          ...usageNull,
        };
      }
    }
    if (this.o.includeUsage) yield { ...this.head(), choices: [], usage: state.usage() };
  }

  body(state: GenerationState): unknown {
    return {
      ...this.head(),
      choices: state.choices.map((ch) => this.finalChoice(ch, state)),
      usage: state.usage(),
    };
  }

  private head() {
    return { id: this.o.id, object: 'text_completion', created: this.o.created, model: this.o.model };
  }

  private streamChoice(d: ChoiceDelta, prompt: TokenizedPrompt, state: GenerationState) {
    const echo = this.o.echo && d.first;
    const base = d.textBefore + (this.o.echo ? prompt.text.length : 0);
    let logprobs: CompletionLogprobs | null = null;
    if (this.o.logprobs) {
      const generated = this.o.formatter.completion(d.tokenIds, d.logprobs ?? [], base);
      logprobs = echo
        ? concat(this.promptPart(prompt, state.promptLogprobs(d.promptIndex)), generated)
        : generated;
    }
    return {
      index: d.index,
      text: echo ? prompt.text + d.text : d.text,
      logprobs,
      finish_reason: d.finishReason,
      stop_reason: d.stopReason,
    };
  }

  private finalChoice(ch: ChoiceState, state: GenerationState) {
    const prompt = state.prompts[ch.promptIndex];
    const promptLps = state.promptLogprobs(ch.promptIndex);
    let logprobs: CompletionLogprobs | null = null;
    if (this.o.logprobs) {
      const ids = ch.logprobs.map((e) => e.tokenIds[0]);
      const base = this.o.echo ? prompt.text.length : 0;
      const generated = this.o.formatter.completion(ids, ch.logprobs, base);
      logprobs = this.o.echo ? concat(this.promptPart(prompt, promptLps), generated) : generated;
    }
    return {
      index: ch.index,
      text: this.o.echo ? prompt.text + ch.text : ch.text,
      logprobs,
      finish_reason: ch.finishReason,
      stop_reason: ch.stopReason,
      ...(this.o.promptLogprobs ? { prompt_logprobs: this.o.formatter.prompt(promptLps ?? []) } : {}),
    };
  }

  private promptPart(prompt: TokenizedPrompt, entries: (TokenLogprobs | null)[] | null): CompletionLogprobs {
    return this.o.formatter.completion(prompt.tokenIds, entries ?? [], 0);
  }
}

function concat(a: CompletionLogprobs, b: CompletionLogprobs): CompletionLogprobs {
  return {
    tokens: [...a.tokens, ...b.tokens],
    token_logprobs: [...a.token_logprobs, ...b.token_logprobs],
    top_logprobs: [...a.top_logprobs, ...b.top_logprobs],
    text_offset: [...a.text_offset, ...b.text_offset],
  };
}
