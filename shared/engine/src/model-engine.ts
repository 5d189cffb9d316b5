import { type LoadedModel, ModelRunner, type ModelRunnerOptions, modelFingerprint } from '@pdserve/model';
import type { EngineCoreConfig } from './engine-core.js';
import { LLM } from './llm.js';

/** Engine limits for a model-backed engine; maxModelLen defaults to the model's. */
export type ModelEngineOptions = ModelRunnerOptions &
  Partial<Omit<EngineCoreConfig, 'hashSeed' | 'eosTokenIds'>>;

/** A loaded model on the native runner behind the offline API. */
export interface ModelEngine {
  llm: LLM;
  runner: ModelRunner;
  /** The block-hash seed (the model's fingerprint): the gateway hashes prompts with it. */
  hashSeed: string;
  eosTokenIds: readonly number[];
  close(): void;
}

/**
 * Builds the native runner for `model` and an LLM over it. Generation stops on the model's EOS
 * ids, plus BOS for llama2.c models (its reference stops when BOS is sampled).
 * Callers: the CLI, the gateway's local backend, the engine services.
 */
export function createModelEngine(model: LoadedModel, options: ModelEngineOptions = {}): ModelEngine {
  const { dtype, kvDtype, blockSize, numBlocks, kvCacheBytes, maxModelLen, ...engine } = options;
  const runner = ModelRunner.create(model, {
    dtype,
    kvDtype,
    blockSize,
    numBlocks,
    kvCacheBytes,
    maxModelLen,
  });
  const c = model.config;
  const eosTokenIds = c.stopOnBos ? [...new Set([...c.eosTokenIds, c.bosTokenId])] : c.eosTokenIds;
  const hashSeed = modelFingerprint(model);
  const llm = new LLM(runner, {
    ...engine,
    maxModelLen: runner.maxModelLen,
    hashSeed,
    eosTokenIds,
    tokenizer: {
      decode: (ids) => model.tokenizer.decode(ids),
      encode: (text) => model.tokenizer.encode(text),
    },
  });
  return { llm, runner, hashSeed, eosTokenIds, close: () => runner.close() };
}
