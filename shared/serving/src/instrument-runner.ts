import { setTimeout as delay } from 'node:timers/promises';
import type { ModelExecutor, ModelInput } from '@pdserve/engine';

/** What instrumentRunner reports around each model step. */
export interface RunnerHooks {
  /** A step starts computing `promptTokens` prompt tokens (rows of sequences with more than one). */
  onStart(promptTokens: number): void;
  onEnd(): void;
  /** Sleep this long before each step (tests; 0: none). */
  delayMs: number;
}

/** Prompt tokens of a step: the query rows of every sequence that computes more than one token. */
export function promptTokensOf(input: ModelInput): number {
  let n = 0;
  for (const len of input.queryLen) if (len > 1) n += len;
  return n;
}

/**
 * Wraps the runner's execute (EngineCore calls it once per step): reports each step's prompt
 * tokens while it runs, so a heartbeat made during a long prefill step still shows that work (the
 * scheduler counts the tokens as computed when it schedules them), and applies the test delay.
 * EngineService calls it once, on its engine's runner.
 */
export function instrumentRunner(runner: Pick<ModelExecutor, 'execute'>, hooks: RunnerHooks): void {
  const execute = runner.execute.bind(runner);
  runner.execute = async (input: ModelInput) => {
    hooks.onStart(promptTokensOf(input));
    try {
      if (hooks.delayMs > 0) await delay(hooks.delayMs);
      return await execute(input);
    } finally {
      hooks.onEnd();
    }
  };
}
