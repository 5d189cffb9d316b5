import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { ModelExecutor } from '@pdserve/engine';
import { loadModel, ModelRunner } from '@pdserve/model';
import type { Hono } from 'hono';
import type { GatewayEnv } from './gateway-env.js';
import { LocalBackend, type LocalEngineOptions } from './local-backend.js';

/** The stories260K checkpoint in the repository's models/ (from services/gateway/dist/). */
export const MODEL_PATH = fileURLToPath(
  new URL('../../../models/stories260K/stories260K.bin', import.meta.url),
);
export const MODEL_NAME = 'stories260K';
export const NUM_BLOCKS = 64;

/** A LocalBackend on the real stories260K model with a small KV pool. */
export function loadTestBackend(
  options: LocalEngineOptions & { chatTemplate?: string; stepDelayMs?: number } = {},
) {
  const loaded = loadModel(MODEL_PATH);
  if (options.chatTemplate !== undefined) loaded.chatTemplate = options.chatTemplate;
  const runner = ModelRunner.create(loaded, { numBlocks: NUM_BLOCKS });
  const executor = options.stepDelayMs === undefined ? runner : pacedExecutor(runner, options.stepDelayMs);
  return new LocalBackend(loaded, executor, { ...options, maxModelLen: runner.maxModelLen });
}

/** The real runner, slowed by `delayMs` per step, so a test can act while a request is still running. */
function pacedExecutor(runner: ModelRunner, delayMs: number): ModelExecutor & { close(): void } {
  return {
    vocabSize: runner.vocabSize,
    blockSize: runner.blockSize,
    numBlocks: runner.numBlocks,
    execute: async (input) => {
      await new Promise((r) => setTimeout(r, delayMs));
      return runner.execute(input);
    },
    close: () => runner.close(),
  };
}

/** POSTs JSON (or raw text/bytes) to the app in process. */
export function post(
  app: Hono<GatewayEnv>,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  return Promise.resolve(
    app.request(path, {
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/json', ...headers },
    }),
  );
}

/** Parses an SSE body: asserts `data: ` framing and a final [DONE]; returns the JSON events. */
export function parseSse(text: string): Record<string, unknown>[] {
  assert.ok(text.endsWith('\n\n'), 'events end with a blank line');
  const events = text.slice(0, -2).split('\n\n');
  for (const e of events) assert.ok(e.startsWith('data: '), `event framing: ${JSON.stringify(e)}`);
  assert.equal(events.at(-1), 'data: [DONE]', 'the stream ends with [DONE]');
  return events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
}

/** Asserts an OpenAI error response: status, error.code, and error.param when given. */
export async function assertError(res: Response, status: number, code: string, param?: string | null) {
  const body = (await res.json()) as {
    error: { message: string; type: string; param: string | null; code: string };
  };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code, JSON.stringify(body));
  assert.equal(typeof body.error.message, 'string');
  assert.equal(typeof body.error.type, 'string');
  if (param !== undefined) assert.equal(body.error.param, param, JSON.stringify(body));
  return body.error;
}

/** Waits until `cond` holds (polling), failing after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** True when the backend's engine runs nothing and every KV block is free again. */
export function engineIdle(backend: LocalBackend): boolean {
  const core = backend.llm.engineCore;
  return !core.hasUnfinishedRequests() && core.kvCacheManager.numFreeBlocks === backend.executor.numBlocks;
}
