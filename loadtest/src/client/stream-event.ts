/** What one SSE payload of a completions or chat completions stream says. */
export interface StreamEvent {
  /** Output text in this event ('' when none). */
  text: string;
  /** Whether the event carried a choice (as opposed to a usage-only or error event). */
  hasChoice: boolean;
  usage: { promptTokens: number | null; completionTokens: number } | null;
  /** The error message of an error event. */
  error: string | null;
}

interface RawChoice {
  text?: unknown;
  delta?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown };
}

interface RawEvent {
  choices?: RawChoice[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  error?: { message?: unknown } | string;
}

/** Reads one JSON payload (not `[DONE]`); throws SyntaxError on malformed JSON. */
export function parseStreamEvent(payload: string): StreamEvent {
  const raw = JSON.parse(payload) as RawEvent;
  const choice = raw.choices?.[0];
  const pieces = choice
    ? [choice.text, choice.delta?.content, choice.delta?.reasoning_content, choice.delta?.reasoning]
    : [];
  const text = pieces.filter((p): p is string => typeof p === 'string').join('');
  const u = raw.usage;
  const usage =
    u && typeof u.completion_tokens === 'number'
      ? {
          promptTokens: typeof u.prompt_tokens === 'number' ? u.prompt_tokens : null,
          completionTokens: u.completion_tokens,
        }
      : null;
  let error: string | null = null;
  if (raw.error !== undefined) {
    error = typeof raw.error === 'string' ? raw.error : String(raw.error.message ?? 'error event');
  }
  return { text, hasChoice: choice !== undefined, usage, error };
}
