/**
 * The one JSON object a run writes (--result-json), with vLLM's bench-serve key names where the
 * meaning is the same. Per-request arrays are in seconds, as vLLM's; aggregate latencies in ms.
 * `pdserve-bench report` reads these back.
 */
export interface BenchResultJson {
  /** Series name in comparison reports (--label, or the sweep's series name). */
  label: string;
  date: string;
  backend: 'openai';
  base_url: string;
  endpoint: string;
  model_id: string;
  dataset: string;
  dataset_config: Record<string, unknown>;
  num_prompts: number;
  /** Requests per second, or 'inf' for all at once. */
  request_rate: number | 'inf';
  burstiness: number;
  max_concurrency: number | null;
  seed: number;
  num_warmups: number;
  duration_limit_s: number;
  hit_duration_limit: boolean;
  goodput_config: Record<string, number> | null;
  percentiles: number[];

  duration: number;
  completed: number;
  failed: number;
  rejected: number;
  not_sent: number;
  good: number;
  total_input_tokens: number;
  total_output_tokens: number;
  request_throughput: number;
  request_goodput: number | null;
  /** Same as request_goodput (the name the design brief uses). */
  goodput: number | null;
  output_throughput: number;
  total_token_throughput: number;
  failure_reasons: Record<string, number>;
  /** mean_ttft_ms, median_ttft_ms, std_ttft_ms, p99_ttft_ms, ... for ttft, tpot, itl, e2el. */
  [stat: `${string}_ms`]: number;

  input_lens: number[];
  output_lens: number[];
  requested_output_lens: number[];
  ttfts: (number | null)[];
  tpots: (number | null)[];
  e2els: (number | null)[];
  itls: number[][];
  errors: string[];
  outcomes: ('ok' | 'rejected' | 'failed')[];
  tags: string[];
  output_tokens_sources: ('usage' | 'events')[];
  retry_afters: (number | null)[];
  scheduled_times: number[];
  start_times: number[];
  first_token_times: (number | null)[];
  end_times: number[];
}
