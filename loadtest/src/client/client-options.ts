/** The OpenAI endpoints the load tester can drive. */
export const ENDPOINTS = ['/v1/completions', '/v1/chat/completions'] as const;

/** One of ENDPOINTS. */
export type Endpoint = (typeof ENDPOINTS)[number];

/** Where and how requests are sent; built once per run from the CLI options. */
export interface ClientOptions {
  /** Scheme, host and port (and an optional path prefix), e.g. http://127.0.0.1:8000. */
  baseUrl: string;
  model: string;
  endpoint: Endpoint;
  apiKey?: string;
  /** Extra request headers (e.g. x-slo-ttft-ms for pdserve's per-request SLO hints). */
  headers: Record<string, string>;
  /** Send vLLM's `ignore_eos: true` so every request produces max_tokens tokens. */
  ignoreEos: boolean;
  /** Also send `min_tokens` equal to max_tokens. */
  setMinTokens: boolean;
  temperature: number;
  /** Ask vLLM-style servers for usage in every chunk (`stream_options.continuous_usage_stats`). */
  continuousUsage: boolean;
}
