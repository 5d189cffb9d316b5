/** One measured request, with every latency the report needs. Times are ms on the run's clock. */
export interface RequestResult {
  index: number;
  tag: string;
  outcome: 'ok' | 'rejected' | 'failed';
  error?: string;
  httpStatus?: number;
  retryAfterS?: number;
  /** Input tokens: the server's usage when it sent one, else the drawn length. */
  promptLen: number;
  /** max_tokens sent. */
  requestedOutputLen: number;
  /** Output tokens: the server's usage, else the number of output-bearing SSE events. */
  outputTokens: number;
  outputTokensSource: 'usage' | 'events';
  /** When the schedule wanted it sent, when it was sent, its first output and its end. */
  scheduledMs: number;
  sentMs: number;
  firstTokenMs: number | null;
  endMs: number;
  /** Time to first token, end-to-end latency; null unless the request completed. */
  ttftMs: number | null;
  e2eMs: number | null;
  /** (e2e - ttft) / (outputTokens - 1); null unless completed with at least 2 tokens. */
  tpotMs: number | null;
  /** Inter-token latencies, one per token after the first: each gap between chunks split evenly over the later chunk's tokens (0 for tokens that came with the first). */
  itlsMs: number[];
  /** How the output arrived: each chunk (network read) with its time and token count. */
  chunks: Array<{ atMs: number; tokens: number }>;
}
