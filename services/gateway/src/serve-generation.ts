import { ServiceError } from '@pdserve/protocol';
import { GenerationState } from './generation-state.js';
import { type GenerationSpec, type RunEvent, runGeneration } from './run-generation.js';
import type { ServingBackend } from './serving-backend.js';
import { sseResponse } from './sse-response.js';

/** How one route turns a generation into HTTP: the stream's items or the final body. */
export interface GenerationView {
  stream: boolean;
  n: number;
  /** The SSE items (chunks, then usage) from the events; `state` is fed by the generator. */
  chunks(events: AsyncIterator<RunEvent>, state: GenerationState): AsyncGenerator<unknown>;
  /** The non-streaming body once every choice finished. */
  body(state: GenerationState): unknown;
}

/** Where the request came from: its client's abort signal and the headers every response carries. */
export interface GenerationCall {
  backend: ServingBackend;
  clientSignal: AbortSignal;
  headers: Record<string, string>;
  errorEvent: (error: unknown) => unknown;
}

/**
 * Runs a generation and answers it. The client's disconnect (its request signal, or the
 * cancelled SSE body) aborts the backend requests. A stream waits for the first output before
 * sending headers, so failures before any token (overloaded, invalid) still get their status.
 */
export async function serveGeneration(
  call: GenerationCall,
  spec: GenerationSpec,
  view: GenerationView,
): Promise<Response> {
  const controller = new AbortController();
  const abort = () => controller.abort(new ServiceError('aborted', 'the client disconnected'));
  if (call.clientSignal.aborted) abort();
  else call.clientSignal.addEventListener('abort', abort, { once: true });
  const done = () => call.clientSignal.removeEventListener('abort', abort);
  const state = new GenerationState(spec.prompts, view.n);
  const events = runGeneration(call.backend, spec, controller.signal);
  try {
    if (!view.stream) return await collect(events, state, view, controller.signal);
    const first = await events.next();
    const chunks = view.chunks(replay(first, events), state);
    return sseResponse(withCleanup(chunks, done), {
      headers: call.headers,
      onCancel: abort,
      errorEvent: call.errorEvent,
    });
  } catch (error) {
    done();
    await events.return(undefined).catch(() => {});
    throw error;
  } finally {
    if (!view.stream) done();
  }
}

async function collect(
  events: AsyncGenerator<RunEvent>,
  state: GenerationState,
  view: GenerationView,
  signal: AbortSignal,
): Promise<Response> {
  for await (const event of events) state.apply(event);
  if (signal.aborted) throw new ServiceError('aborted', 'the client disconnected');
  return Response.json(view.body(state));
}

/** The iterator again, with its first result (already pulled) in front. */
async function* replay<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  let finished = first.done === true;
  try {
    if (finished) return;
    yield first.value as T;
    for (;;) {
      const r = await rest.next();
      finished = r.done === true;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    if (!finished) await rest.return?.();
  }
}

async function* withCleanup<T>(items: AsyncGenerator<T>, cleanup: () => void): AsyncGenerator<T> {
  try {
    yield* items;
  } finally {
    cleanup();
  }
}
