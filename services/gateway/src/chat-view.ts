import type { ChoiceDelta, ChoiceState, GenerationState } from './generation-state.js';
import type { LogprobsFormatter } from './logprobs-format.js';
import type { RunEvent } from './run-generation.js';
import type { GenerationView } from './serve-generation.js';

/** What a chat completions response needs to know about its request. */
export interface ChatViewOptions {
  id: string;
  created: number;
  model: string;
  n: number;
  stream: boolean;
  logprobs: boolean;
  promptLogprobs: boolean;
  includeUsage: boolean;
  formatter: LogprobsFormatter;
}

/**
 * OpenAI's chat.completion body and chat.completion.chunk stream: a role chunk per choice first,
 * then content deltas, the last one carrying finish_reason (plus vLLM's stop_reason).
 */
export class ChatView implements GenerationView {
  constructor(private readonly o: ChatViewOptions) {}

  get stream(): boolean {
    return this.o.stream;
  }

  get n(): number {
    return this.o.n;
  }

  async *chunks(events: AsyncIterator<RunEvent>, state: GenerationState): AsyncGenerator<unknown> {
    const usageNull = this.o.includeUsage ? { usage: null } : {};
    for (const ch of state.choices) {
      const delta = { role: 'assistant', content: '' };
      yield {
        ...this.head(),
        choices: [{ index: ch.index, delta, logprobs: null, finish_reason: null }],
        ...usageNull,
      };
    }
    for (let r = await events.next(); !r.done; r = await events.next()) {
      for (const d of state.apply(r.value)) {
        if (d.text === '' && d.tokenIds.length === 0 && d.finishReason === null) continue;
        yield { ...this.head(), choices: [this.streamChoice(d)], ...usageNull };
      }
    }
    if (this.o.includeUsage) yield { ...this.head(), choices: [], usage: state.usage() };
  }

  body(state: GenerationState): unknown {
    const promptLps = state.promptLogprobs(0);
    return {
      ...this.head(),
      choices: state.choices.map((ch) => this.finalChoice(ch)),
      usage: state.usage(),
      ...(this.o.promptLogprobs ? { prompt_logprobs: this.o.formatter.prompt(promptLps ?? []) } : {}),
    };
  }

  private head() {
    return {
      id: this.o.id,
      object: this.o.stream ? 'chat.completion.chunk' : 'chat.completion',
      ...this.meta(),
    };
  }

  private meta() {
    return { created: this.o.created, model: this.o.model };
  }

  private streamChoice(d: ChoiceDelta) {
    return {
      index: d.index,
      delta: d.text === '' && d.finishReason !== null ? {} : { content: d.text },
      logprobs: this.o.logprobs ? { content: this.o.formatter.chat(d.logprobs ?? []) } : null,
      finish_reason: d.finishReason,
      ...(d.finishReason === null ? {} : { stop_reason: d.stopReason }),
    };
  }

  private finalChoice(ch: ChoiceState) {
    return {
      index: ch.index,
      message: { role: 'assistant', content: ch.text },
      logprobs: this.o.logprobs ? { content: this.o.formatter.chat(ch.logprobs) } : null,
      finish_reason: ch.finishReason,
      stop_reason: ch.stopReason,
    };
  }
}
