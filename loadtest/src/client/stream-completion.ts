import type { IncomingMessage } from 'node:http';
import type { BenchRequest } from '../datasets/bench-request.js';
import type { ClientOptions } from './client-options.js';
import { type HttpTransport, readText } from './http-transport.js';
import { parseRetryAfter } from './parse-retry-after.js';
import { requestBody } from './request-body.js';
import { SseParser } from './sse-parser.js';
import { parseStreamEvent } from './stream-event.js';
import type { ChunkRecord, StreamRecord, UsageRecord } from './stream-record.js';

/** Thrown inside a stream when the server sends an error event; recorded as a failure. */
export class StreamEventError extends Error {
  override readonly name = 'StreamEventError';
}

interface StreamState {
  chunks: ChunkRecord[];
  usage: UsageRecord | null;
  /** completion_tokens seen so far (continuous usage), to count each chunk's tokens. */
  lastCompletion: number;
  done: boolean;
}

/**
 * Sends one streamed request and records when each output-bearing event arrived. Never throws:
 * HTTP errors, 429s, network errors, error events and aborts (`signal`) become the record's
 * outcome. `now` is the run's clock in milliseconds.
 */
export async function streamCompletion(
  transport: HttpTransport,
  o: ClientOptions,
  req: BenchRequest,
  signal: AbortSignal,
  now: () => number,
): Promise<StreamRecord> {
  const body = JSON.stringify(requestBody(o, req));
  const sentMs = now();
  const state: StreamState = { chunks: [], usage: null, lastCompletion: 0, done: false };
  try {
    const res = await transport.post(o.baseUrl + o.endpoint, requestHeaders(o), body, signal);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) return await httpFailure(res, status, sentMs, now);
    await readStream(res, state, now);
    const endMs = now();
    const { chunks, usage } = state;
    if (chunks.length === 0)
      return { outcome: 'failed', error: 'no output tokens', sentMs, endMs, chunks, usage };
    return { outcome: 'ok', sentMs, endMs, chunks, usage };
  } catch (error) {
    const reason = signal.aborted ? `aborted: ${describe(signal.reason)}` : describe(error);
    return {
      outcome: 'failed',
      error: reason,
      sentMs,
      endMs: now(),
      chunks: state.chunks,
      usage: state.usage,
    };
  }
}

function requestHeaders(o: ClientOptions): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
    ...o.headers,
  };
}

async function httpFailure(
  res: IncomingMessage,
  status: number,
  sentMs: number,
  now: () => number,
): Promise<StreamRecord> {
  const text = await readText(res).catch(() => '');
  const header = res.headers['retry-after'];
  const retryAfterS = parseRetryAfter(typeof header === 'string' ? header : null);
  return {
    outcome: status === 429 ? 'rejected' : 'failed',
    error: `HTTP ${status}: ${errorMessage(text)}`,
    httpStatus: status,
    ...(retryAfterS === undefined ? {} : { retryAfterS }),
    sentMs,
    endMs: now(),
    chunks: [],
    usage: null,
  };
}

async function readStream(res: IncomingMessage, state: StreamState, now: () => number) {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  for await (const chunk of res) {
    const atMs = now();
    for (const p of parser.push(decoder.decode(chunk as Buffer, { stream: true }))) onPayload(p, atMs, state);
    if (state.done) break;
  }
  if (!state.done) for (const p of parser.end()) onPayload(p, now(), state);
}

function onPayload(payload: string, atMs: number, state: StreamState): void {
  if (payload.trim() === '[DONE]') {
    state.done = true;
    return;
  }
  const event = parseStreamEvent(payload);
  if (event.error !== null) throw new StreamEventError(`error event: ${event.error}`);
  let tokens: number | null = null;
  if (event.usage) {
    tokens = event.usage.completionTokens - state.lastCompletion;
    state.lastCompletion = event.usage.completionTokens;
    state.usage = event.usage;
  }
  if (!event.hasChoice || (event.text === '' && (tokens ?? 0) <= 0)) return;
  // Events that came in the same read reached the client together: one chunk of several tokens.
  const last = state.chunks[state.chunks.length - 1];
  if (last && last.atMs === atMs) {
    last.chars += event.text.length;
    last.events++;
    last.tokens = last.tokens === null || tokens === null ? null : last.tokens + tokens;
  } else {
    state.chunks.push({ atMs, chars: event.text.length, events: 1, tokens });
  }
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const e = parsed.error;
    const message = typeof e === 'string' ? e : (e?.message ?? parsed.message);
    if (message) return message.slice(0, 200);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200) || '(empty body)';
}

function describe(x: unknown): string {
  if (x instanceof Error) {
    const cause = x.cause instanceof Error ? ` (${x.cause.message})` : '';
    return `${x.message}${cause}`;
  }
  return String(x);
}
