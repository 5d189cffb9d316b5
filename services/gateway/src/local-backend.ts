import path from 'node:path';
import { LLM, type ModelExecutor, type RequestOutput } from '@pdserve/engine';
import {
  type LoadedModel,
  loadModel,
  ModelRunner,
  type ModelRunnerOptions,
  modelFingerprint,
} from '@pdserve/model';
import { ServiceError } from '@pdserve/protocol';
import type { GenerateRequest, ServedModel, ServingBackend } from './serving-backend.js';
import { toServiceError } from './to-service-error.js';

/** Engine settings of a LocalBackend (vLLM's names in camelCase). */
export interface LocalEngineOptions {
  /** The model name clients send (default: the model file's name without extension). */
  servedModelName?: string;
  maxModelLen?: number;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  enablePrefixCaching?: boolean;
  policy?: 'fcfs' | 'priority';
}

/** Where LocalBackend.load finds the model and how it builds the runner. */
export interface LocalBackendOptions extends LocalEngineOptions, Omit<ModelRunnerOptions, 'maxModelLen'> {
  modelPath: string;
  /** llama2.c only: the tokenizer .bin (default: beside the checkpoint). */
  tokenizerPath?: string;
}

/**
 * The engine in this process behind the ServingBackend interface: one model, prefill and decode
 * colocated, run by the engine's LLM (one EngineLoop, so concurrent requests batch together).
 * SLO hints are accepted and ignored (there is no routing choice to make).
 */
export class LocalBackend implements ServingBackend {
  readonly llm: LLM;
  readonly model: ServedModel;
  private closed = false;

  /** Wraps a loaded model and an executor for it (a ModelRunner, or a wrapper around one). */
  constructor(
    loaded: LoadedModel,
    readonly executor: ModelExecutor & { close?(): void },
    options: LocalEngineOptions & { maxModelLen: number },
  ) {
    const c = loaded.config;
    const eos = c.stopOnBos ? [...c.eosTokenIds, c.bosTokenId] : c.eosTokenIds;
    this.llm = new LLM(executor, {
      maxModelLen: options.maxModelLen,
      ...(options.maxNumSeqs === undefined ? {} : { maxNumSeqs: options.maxNumSeqs }),
      ...(options.maxNumBatchedTokens === undefined
        ? {}
        : { maxNumBatchedTokens: options.maxNumBatchedTokens }),
      ...(options.enablePrefixCaching === undefined
        ? {}
        : { enablePrefixCaching: options.enablePrefixCaching }),
      ...(options.policy === undefined ? {} : { policy: options.policy }),
      hashSeed: modelFingerprint(loaded),
      eosTokenIds: eos,
      tokenizer: loaded.tokenizer,
    });
    const tok = loaded.tokenizer;
    this.model = {
      name: options.servedModelName ?? path.parse(loaded.source.path).name,
      maxModelLen: options.maxModelLen,
      tokenizer: tok,
      ...(loaded.chatTemplate === undefined ? {} : { chatTemplate: loaded.chatTemplate }),
      ...(tok.bosTokenId >= 0 ? { bosToken: tok.tokenPiece(tok.bosTokenId).trim() } : {}),
      ...(tok.eosTokenIds.length > 0 ? { eosToken: tok.tokenPiece(tok.eosTokenIds[0]).trim() } : {}),
      created: Math.floor(Date.now() / 1000),
    };
  }

  /** Loads the model file or directory and builds a ModelRunner with its KV pool. */
  static load(options: LocalBackendOptions): LocalBackend {
    const loaded = loadModel(options.modelPath, {
      ...(options.tokenizerPath === undefined ? {} : { tokenizerPath: options.tokenizerPath }),
    });
    const {
      modelPath: _m,
      tokenizerPath: _t,
      servedModelName,
      maxNumSeqs,
      maxNumBatchedTokens,
      ...rest
    } = options;
    const { enablePrefixCaching, policy, ...runnerOptions } = rest;
    const runner = ModelRunner.create(loaded, runnerOptions);
    return new LocalBackend(loaded, runner, {
      ...{ servedModelName, maxNumSeqs, maxNumBatchedTokens, enablePrefixCaching, policy },
      maxModelLen: runner.maxModelLen,
    });
  }

  models(): ServedModel[] {
    return [this.model];
  }

  /** Streams one request's delta outputs; an abort of `signal` aborts it in the engine (blocks freed at once). */
  async *generate(req: GenerateRequest, signal: AbortSignal): AsyncGenerator<RequestOutput> {
    if (this.closed) throw new ServiceError('unavailable', 'the engine is shut down');
    if (req.model !== this.model.name)
      throw new ServiceError('model_not_found', `unknown model ${req.model}`);
    if (signal.aborted) throw new ServiceError('aborted', 'the request was aborted before it started');
    let stream: AsyncIterable<RequestOutput>;
    try {
      stream = this.llm.stream(
        {
          promptTokenIds: req.promptTokenIds,
          requestId: req.requestId,
          ...(req.priority === undefined ? {} : { priority: req.priority }),
          ...(req.cacheSalt === undefined ? {} : { cacheSalt: req.cacheSalt }),
        },
        { ...req.sampling, outputKind: 'delta' },
      );
    } catch (error) {
      throw toServiceError(error);
    }
    const onAbort = () => this.llm.abort(req.requestId);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      yield* stream;
    } catch (error) {
      throw toServiceError(error);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async health(): Promise<{ ok: boolean; detail?: unknown }> {
    const kv = this.llm.engineCore.kvCacheManager;
    return {
      ok: !this.closed,
      detail: { model: this.model.name, numFreeBlocks: kv.numFreeBlocks, numBlocks: this.executor.numBlocks },
    };
  }

  /** Aborts what still runs and releases the executor (the runner's KV pool). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.llm.engineCore.scheduler.requests.values()].map((r) => r.userRequestId)) {
      this.llm.abort(id);
    }
    this.executor.close?.();
  }
}
