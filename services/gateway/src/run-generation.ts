import type { RequestOutput, SamplingParamsInit } from '@pdserve/engine';
import type { ServingBackend } from './serving-backend.js';
import type { SloHints } from './slo-hints.js';
import type { TokenizedPrompt } from './tokenized-prompt.js';

/** What one request asks the backend for: its prompts share the sampling parameters. */
export interface GenerationSpec {
  /** Base request id; prompt i runs as `${requestId}-${i}` when there are several. */
  requestId: string;
  model: string;
  prompts: TokenizedPrompt[];
  sampling: SamplingParamsInit;
  priority?: number;
  cacheSalt?: string;
  slo?: SloHints;
}

/** One output of one of the request's prompts. */
export interface RunEvent {
  promptIndex: number;
  output: RequestOutput;
}

type Iter = AsyncIterator<RequestOutput>;

/**
 * Runs every prompt of a request on the backend at once and yields their outputs merged in
 * arrival order. Aborting `signal` aborts every prompt; a failure of one aborts the others and is
 * rethrown; leaving the iteration early aborts whatever still runs.
 */
export async function* runGeneration(
  backend: ServingBackend,
  spec: GenerationSpec,
  signal: AbortSignal,
): AsyncGenerator<RunEvent> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const iters: Iter[] = [];
  const pending = new Map<number, Promise<[number, IteratorResult<RequestOutput>]>>();
  const pull = (i: number) =>
    pending.set(
      i,
      iters[i].next().then((r) => [i, r] as [number, typeof r]),
    );
  let completed = false;
  try {
    spec.prompts.forEach((p, i) => {
      iters.push(startPrompt(backend, spec, i, p, controller.signal));
      pull(i);
    });
    while (pending.size > 0) {
      const [i, result] = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(i);
        continue;
      }
      pull(i);
      yield { promptIndex: i, output: result.value };
    }
    completed = true;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!completed) {
      controller.abort();
      for (const [i, p] of pending) {
        p.catch(() => {});
        void iters[i].return?.().catch(() => {});
      }
    }
  }
}

function startPrompt(
  backend: ServingBackend,
  spec: GenerationSpec,
  index: number,
  prompt: TokenizedPrompt,
  signal: AbortSignal,
): Iter {
  const requestId = spec.prompts.length === 1 ? spec.requestId : `${spec.requestId}-${index}`;
  const iterable = backend.generate(
    {
      requestId,
      model: spec.model,
      promptTokenIds: prompt.tokenIds,
      sampling: spec.sampling,
      ...(spec.priority === undefined ? {} : { priority: spec.priority }),
      ...(spec.cacheSalt === undefined ? {} : { cacheSalt: spec.cacheSalt }),
      ...(spec.slo === undefined ? {} : { slo: spec.slo }),
    },
    signal,
  );
  return iterable[Symbol.asyncIterator]();
}
