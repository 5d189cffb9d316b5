import { ServiceError } from '@pdserve/protocol';
import { type SloHints, sloHints } from './slo-hints.js';

/** The request options that completions and chat share beyond sampling. */
export interface CommonOptions {
  stream: boolean;
  includeUsage: boolean;
  priority?: number;
  cacheSalt?: string;
  slo?: SloHints;
}

interface CommonFields {
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  prompt_logprobs?: number | null;
  priority?: number | null;
  cache_salt?: string | null;
  slo?: { ttft_ms?: number | null; tpot_ms?: number | null } | null;
}

/** Reads the shared options and checks the combinations a schema cannot (as vLLM does). */
export function commonOptions(r: CommonFields, headers: Headers): CommonOptions {
  const stream = r.stream ?? false;
  if (!stream && r.stream_options != null) {
    throw new ServiceError('invalid_request', 'stream_options is only allowed when stream is true', {
      param: 'stream_options',
    });
  }
  if (stream && r.prompt_logprobs != null) {
    throw new ServiceError('invalid_request', 'prompt_logprobs is not available when stream is true', {
      param: 'prompt_logprobs',
    });
  }
  const slo = sloHints(r.slo, headers);
  return {
    stream,
    includeUsage: r.stream_options?.include_usage ?? false,
    ...(r.priority == null ? {} : { priority: r.priority }),
    ...(r.cache_salt == null ? {} : { cacheSalt: r.cache_salt }),
    ...(slo === undefined ? {} : { slo }),
  };
}
