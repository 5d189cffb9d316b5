import { EngineCore, type EngineCoreConfig } from './engine-core.js';
import { EngineLoop, type RequestSink } from './engine-loop.js';
import { InvalidRequestError } from './errors.js';
import type { Detokenizer } from './incremental-detokenizer.js';
import type { ModelExecutor } from './model-executor.js';
import type { RequestOutput } from './request-output.js';
import { type RequestOutputKind, SamplingParams, type SamplingParamsInit } from './sampling-params.js';

/** A tokenizer as the offline API uses it: decode for outputs, encode for text prompts. */
export interface LlmTokenizer extends Detokenizer {
  encode?(text: string): number[];
}

/** A prompt: token ids, text (needs a tokenizer with encode), or token ids with request options. */
export type PromptInput =
  | readonly number[]
  | string
  | { promptTokenIds: readonly number[]; requestId?: string; priority?: number; cacheSalt?: string | null };

/** Engine settings plus the tokenizer; hashSeed and eosTokenIds have test-friendly defaults. */
export interface LlmOptions extends Omit<EngineCoreConfig, 'hashSeed' | 'eosTokenIds'> {
  hashSeed?: string;
  eosTokenIds?: readonly number[];
  tokenizer?: LlmTokenizer | null;
}

type ParamsInput = SamplingParams | SamplingParamsInit | undefined;

/**
 * The offline API (vLLM's `LLM`): `generate` runs a batch of prompts to completion, `stream` yields
 * one request's outputs as deltas. Both share one EngineLoop, so concurrent calls batch together.
 */
export class LLM {
  readonly engineCore: EngineCore;
  private readonly loop: EngineLoop;
  private readonly tokenizer: LlmTokenizer | null;
  private nextId = 0;

  constructor(executor: ModelExecutor, options: LlmOptions) {
    const { tokenizer = null, hashSeed = 'pdserve', eosTokenIds = [], ...config } = options;
    this.engineCore = new EngineCore(executor, { ...config, hashSeed, eosTokenIds });
    this.loop = new EngineLoop(this.engineCore, tokenizer);
    this.tokenizer = tokenizer;
  }

  /** Generates for every prompt; resolves with the final outputs in prompt order. */
  async generate(
    prompts: PromptInput | readonly PromptInput[],
    params?: ParamsInput | readonly ParamsInput[],
  ): Promise<RequestOutput[]> {
    const list = isPromptList(prompts) ? prompts : [prompts];
    const submitted: string[] = [];
    const results: Promise<RequestOutput>[] = [];
    try {
      list.forEach((prompt, i) => {
        const p = Array.isArray(params) ? (params as readonly ParamsInput[])[i] : (params as ParamsInput);
        let sink: RequestSink = { push: () => {}, fail: () => {} };
        results.push(
          new Promise((resolve, reject) => (sink = { push: (o) => o.finished && resolve(o), fail: reject })),
        );
        submitted.push(this.submit(prompt, p, 'finalOnly', sink));
      });
    } catch (error) {
      // One invalid prompt rejects the whole batch before any of it runs on.
      for (const id of submitted) this.loop.abort(id);
      throw error;
    }
    return Promise.all(results);
  }

  /** Streams one request's outputs as deltas; breaking out of the iteration aborts the request. */
  stream(prompt: PromptInput, params?: ParamsInput): AsyncIterable<RequestOutput> {
    const queue: RequestOutput[] = [];
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const notify = () => {
      wake?.();
      wake = null;
    };
    const requestId = this.submit(prompt, params, 'delta', {
      push: (o) => {
        queue.push(o);
        notify();
      },
      fail: (e) => {
        failure = e;
        notify();
      },
    });
    const loop = this.loop;
    return {
      async *[Symbol.asyncIterator]() {
        let finished = false;
        try {
          while (!finished) {
            if (queue.length === 0 && failure === null) await new Promise<void>((r) => (wake = r));
            if (failure !== null) throw failure;
            const out = queue.shift();
            if (out === undefined) continue;
            finished = out.finished;
            yield out;
          }
        } finally {
          if (!finished) loop.abort(requestId);
        }
      },
    };
  }

  /** Aborts a request started by generate or stream. */
  abort(requestId: string): void {
    this.loop.abort(requestId);
  }

  private submit(
    prompt: PromptInput,
    params: ParamsInput,
    kind: RequestOutputKind,
    sink: RequestSink,
  ): string {
    const base = params instanceof SamplingParams ? params.toInit() : (params ?? {});
    const samplingParams = SamplingParams.create({ ...base, outputKind: kind });
    const req =
      typeof prompt === 'object' && 'promptTokenIds' in prompt
        ? prompt
        : { promptTokenIds: this.tokens(prompt) };
    const requestId = req.requestId ?? `llm-${this.nextId++}`;
    this.loop.addRequest({ ...req, requestId, samplingParams }, sink);
    return requestId;
  }

  private tokens(prompt: readonly number[] | string): readonly number[] {
    if (typeof prompt !== 'string') return prompt;
    if (!this.tokenizer?.encode)
      throw new InvalidRequestError('-', 'a text prompt needs a tokenizer with encode');
    return this.tokenizer.encode(prompt);
  }
}

function isPromptList(p: PromptInput | readonly PromptInput[]): p is readonly PromptInput[] {
  return Array.isArray(p) && (p.length === 0 || typeof p[0] !== 'number');
}
