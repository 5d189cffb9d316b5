import { setTimeout as delay } from 'node:timers/promises';
import type { ModelExecutor, ModelInput } from '@pdserve/engine';

/** What instrumentRunner reports around each model step. */
export interface RunnerHooks {
  /**
   * A step starts computing `promptTokens` prompt tokens (rows of sequences with more than one)
   * and one token for each of `decodeRows` decoding sequences.
   */
  onStart(promptTokens: number, decodeRows: number): void;
  onEnd(): void;
  /** Sleep this long before each step (tests; 0: none). */
  delayMs: number;
}

/** Prompt tokens of a step (the rows of sequences computing more than one) and its decode rows. */
export function stepRowsOf(input: ModelInput): { promptTokens: number; decodeRows: number } {
  let promptTokens = 0;
  let decodeRows = 0;
  for (const len of input.queryLen) {
    if (len > 1) promptTokens += len;
    else decodeRows++;
  }
  return { promptTokens, decodeRows };
}

/**
 * Wraps the runner's execute (EngineCore calls it once per step): reports each step's prompt
 * tokens while it runs, so a heartbeat made during a long prefill step still shows that work (the
 * scheduler counts the tokens as computed when it schedules them), and its decode rows, whose
 * step-to-step intervals are the inter-token latency decoding requests see; applies the test delay.
 * EngineService calls it once, on its engine's runner.
 */
export function instrumentRunner(runner: Pick<ModelExecutor, 'execute'>, hooks: RunnerHooks): void {
  const execute = runner.execute.bind(runner);
  runner.execute = async (input: ModelInput) => {
    const rows = stepRowsOf(input);
    hooks.onStart(rows.promptTokens, rows.decodeRows);
    try {
      if (hooks.delayMs > 0) await delay(hooks.delayMs);
      return await execute(input);
    } finally {
      hooks.onEnd();
    }
  };
}
