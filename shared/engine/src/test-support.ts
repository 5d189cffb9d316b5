/**
 * Helpers shared by the engine's tests (not exported from the package): an oracle for greedy
 * output of FakeModelExecutor, a byte-level detokenizer with multi-byte characters, and a driver
 * that runs an EngineCore to completion.
 */
import type { EngineCore } from './engine-core.js';
import type { EngineCoreOutput } from './engine-core-output.js';
import type { FakeModelExecutor } from './fake-model-executor.js';
import { argmax } from './top-k-selection.js';

/**
 * Greedy continuation of `prompt` computed directly from the fake model's definition, with no
 * engine involved: the reference every engine configuration must reproduce.
 */
export function referenceGreedy(
  fake: FakeModelExecutor,
  prompt: readonly number[],
  maxTokens: number,
  eos: readonly number[] = [],
): number[] {
  let hash = fake.initialHash;
  prompt.forEach((t, p) => {
    hash = fake.extendHash(hash, t, p);
  });
  const out: number[] = [];
  for (let pos = prompt.length; out.length < maxTokens; pos++) {
    const token = argmax(fake.logitsForHash(hash));
    out.push(token);
    if (eos.includes(token)) break;
    hash = fake.extendHash(hash, token, pos);
  }
  return out;
}

/** Collects each request's tokens and finish over a whole run. */
export interface RunResult {
  tokens: Map<string, number[]>;
  finish: Map<string, EngineCoreOutput>;
  steps: number;
}

/** Steps the core until no request is left (or `maxSteps`), calling `onStep` after each step. */
export async function runCore(
  core: EngineCore,
  maxSteps = 10_000,
  onStep?: (step: number) => void,
): Promise<RunResult> {
  const result: RunResult = { tokens: new Map(), finish: new Map(), steps: 0 };
  while (core.hasUnfinishedRequests() && result.steps < maxSteps) {
    const { outputs } = await core.step();
    for (const o of outputs) {
      const list = result.tokens.get(o.requestId) ?? [];
      list.push(...o.newTokenIds);
      result.tokens.set(o.requestId, list);
      if (o.finishReason !== null) result.finish.set(o.requestId, o);
    }
    result.steps++;
    onStep?.(result.steps);
  }
  return result;
}

/** Deterministic prompt of `len` tokens in [1, vocab) from a small LCG. */
export function makePrompt(seed: number, len: number, vocab: number): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: len }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return 1 + (x % (vocab - 1));
  });
}

/**
 * A detokenizer over UTF-8 bytes: token t < 256 is byte t, 256 + i is `extra[i]`. Decoding a
 * sequence that ends inside a multi-byte character yields U+FFFD, as real byte-level BPE does.
 */
export function byteDetokenizer(extra: readonly string[] = []): { decode(ids: number[]): string } {
  const decoder = new TextDecoder();
  return {
    decode(ids: number[]): string {
      const bytes: number[] = [];
      for (const id of ids) {
        if (id < 256) bytes.push(id);
        else bytes.push(...new TextEncoder().encode(extra[id - 256] ?? ''));
      }
      return decoder.decode(new Uint8Array(bytes));
    },
  };
}
