/** Output that reached the client in one read (one or more SSE events), as the client saw it. */
export interface ChunkRecord {
  /** When its bytes arrived (ms on the run's clock). */
  atMs: number;
  /** Characters of output text it carried. */
  chars: number;
  /** Output-bearing SSE events in it (at least one token each). */
  events: number;
  /** Output tokens it carried when the server said so (continuous usage) for each event, else null. */
  tokens: number | null;
}

/** The server's token counts for a request. */
export interface UsageRecord {
  promptTokens: number | null;
  completionTokens: number;
}

/** What happened to one request on the wire, before any metric is derived. */
export interface StreamRecord {
  /** ok: streamed to the end; rejected: 429 (admission control); failed: anything else. */
  outcome: 'ok' | 'rejected' | 'failed';
  error?: string;
  httpStatus?: number;
  /** Seconds from a Retry-After header, where one came. */
  retryAfterS?: number;
  sentMs: number;
  endMs: number;
  chunks: ChunkRecord[];
  /** The final usage (stream_options.include_usage), or null when the server sent none. */
  usage: UsageRecord | null;
}
