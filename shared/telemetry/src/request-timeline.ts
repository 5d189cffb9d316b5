import type { SpanSummary } from '@pdserve/protocol';
import { ATTR, SPAN } from './span-attributes.js';

/** The phases of a request's time bar, in order. */
export type TimelinePhase = 'gateway' | 'queue' | 'prefill' | 'transfer' | 'decode';

/** One piece of the bar (epoch ms). */
export interface TimelineSegment {
  phase: TimelinePhase;
  startMs: number;
  durationMs: number;
}

/** One request as the status page lists it. */
export interface RequestTimeline {
  requestId: string;
  traceId: string;
  status: 'running' | 'ok' | 'error';
  startMs: number;
  totalMs: number;
  model?: string;
  mode?: string;
  prefillInstance?: string;
  decodeInstance?: string;
  promptTokens?: number;
  completionTokens?: number;
  ttftMs?: number;
  finishReason?: string;
  transfer?: { transport: string; bytes: number; blocks: number; durationMs: number };
  segments: TimelineSegment[];
}

const num = (s: SpanSummary | undefined, key: string) => {
  const v = s?.attributes[key];
  return typeof v === 'number' ? v : undefined;
};
const str = (s: SpanSummary | undefined, key: string) => {
  const v = s?.attributes[key];
  return typeof v === 'string' ? v : undefined;
};

/** Consecutive, non-overlapping segments from phase boundaries (missing ones are skipped). */
function segmentsOf(points: [TimelinePhase, number | undefined, number | undefined][]): TimelineSegment[] {
  const out: TimelineSegment[] = [];
  let cursor = Number.NEGATIVE_INFINITY;
  for (const [phase, start, end] of points) {
    if (start === undefined || end === undefined) continue;
    const from = Math.max(start, cursor);
    if (end >= from) out.push({ phase, startMs: from, durationMs: end - from });
    cursor = Math.max(cursor, end);
  }
  return out;
}

/**
 * A request's timeline from the spans of its trace (the gateway's own and those the other
 * services published): gateway work until the prefill queue, queue, prefill compute, the gap
 * while the KV moved (prefill's first token to decode's start), decode, and the gateway's tail.
 * `root` is the gateway's request span (undefined while it runs: `startMs` is then its start).
 */
export function requestTimeline(
  requestId: string,
  traceId: string,
  startMs: number,
  spans: readonly SpanSummary[],
  nowMs: number,
): RequestTimeline {
  const named = (name: string) => spans.find((s) => s.name === name);
  const root = spans.find((s) => s.parentSpanId === undefined && s.service === 'gateway');
  const [queue, prefill, decode, route, kv] = [
    named(SPAN.prefillQueue),
    named(SPAN.prefill),
    named(SPAN.decode),
    named(SPAN.routerRoute),
    named(SPAN.kvTransfer),
  ];
  const endMs = root?.endMs ?? nowMs;
  const firstEngine = queue?.startMs ?? prefill?.startMs ?? decode?.startMs;
  const segments = segmentsOf([
    ['gateway', startMs, firstEngine ?? endMs],
    ['queue', queue?.startMs, queue?.endMs],
    ['prefill', queue?.endMs ?? prefill?.startMs, prefill?.endMs],
    [
      'transfer',
      kv === undefined ? undefined : prefill?.endMs,
      kv === undefined ? undefined : decode?.startMs,
    ],
    ['decode', decode?.startMs, decode?.endMs],
    ['gateway', decode?.endMs ?? prefill?.endMs, root === undefined ? undefined : endMs],
  ]);
  const timeline: RequestTimeline = {
    requestId,
    traceId,
    status: root === undefined ? 'running' : root.error ? 'error' : 'ok',
    startMs,
    totalMs: endMs - startMs,
    segments,
  };
  return Object.assign(
    timeline,
    defined({
      model: str(root, ATTR.model),
      mode: str(route, ATTR.routeMode),
      prefillInstance: str(route, ATTR.routePrefillInstance),
      decodeInstance: str(route, ATTR.routeDecodeInstance),
      promptTokens: num(root, ATTR.promptTokens),
      completionTokens: num(root, ATTR.completionTokens),
      ttftMs: num(root, ATTR.ttftMs),
      finishReason: str(root, ATTR.finishReason),
      transfer: kv === undefined ? undefined : transferOf(kv),
    }),
  );
}

function transferOf(kv: SpanSummary): RequestTimeline['transfer'] {
  return {
    transport: str(kv, ATTR.kvTransport) ?? '?',
    bytes: num(kv, ATTR.kvBytes) ?? 0,
    blocks: num(kv, ATTR.kvBlocks) ?? 0,
    durationMs: kv.endMs - kv.startMs,
  };
}

function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
