import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createModelEngine, type SamplingParamsInit } from '@pdserve/engine';
import { loadModel } from '@pdserve/model';
import { ChildService } from '../serve/child-service.js';

/** The repository's stories260K model and the CLI entry (from cli/dist/e2e/). */
export const MODEL_PATH = fileURLToPath(
  new URL('../../../models/stories260K/stories260K.bin', import.meta.url),
);
export const MODEL_NAME = 'stories260K';
const CLI_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/** A running `pdserve serve` started by a test. */
export interface ServeProcess {
  url: string;
  natsUrl: string;
  cli: ChildService;
  /** Ctrl-C: resolves with the CLI's exit once everything stopped. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The lines a test's cluster printed, for failure messages. */
const logs: string[] = [];

/**
 * Starts `pdserve serve ARGS` (the real CLI, which starts nats-server and every service) and waits
 * for its banner. `env` reaches every service (e.g. PDSERVE_DEBUG_STEP_DELAY_MS).
 */
export async function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  let url = '';
  let natsUrl = '';
  const cli = new ChildService({
    name: 'serve',
    command: process.execPath,
    args: [CLI_MAIN, 'serve', '--port', '0', ...args],
    env: { ...process.env, ...env },
    log: (line) => {
      logs.push(line);
      if (process.env.PDSERVE_E2E_ECHO) process.stderr.write(`${line}\n`);
    },
    readyWhen: (line) => {
      const m = /serving \S+ at (http:\/\/\S+) .*NATS at (nats:\/\/[^;)]+)\)/.exec(line);
      if (m) [url, natsUrl] = [m[1], m[2]];
      return m !== null;
    },
  });
  // SIGTERM, not SIGKILL: the CLI then stops its children (they run in their own process groups).
  const killOnExit = () => {
    if (cli.running && cli.pid !== undefined) process.kill(cli.pid, 'SIGTERM');
  };
  process.once('exit', killOnExit);
  await cli.ready;
  return {
    url,
    natsUrl,
    cli,
    stop: async () => {
      process.off('exit', killOnExit);
      return cli.stop('SIGINT', 20_000);
    },
  };
}

/**
 * Asks the services a test started itself to stop (SIGTERM) if the test process exits before its
 * after() ran: they run in their own process groups and would outlive it.
 */
export function stopOnExit(children: () => Iterable<ChildService>): void {
  process.once('exit', () => {
    for (const child of children())
      if (child.running && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  });
}

/** POSTs a JSON body (or raw bytes) to the cluster. */
export function post(base: string, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  return fetch(`${base}${path}`, {
    method: 'POST',
    body: raw,
    headers: { 'content-type': 'application/json' },
    ...init,
  });
}

/** The JSON events of an SSE body, asserting the framing and the final [DONE]. */
export function parseSse(text: string): Record<string, unknown>[] {
  assert.ok(text.endsWith('\n\n'), 'events end with a blank line');
  const events = text.slice(0, -2).split('\n\n');
  for (const e of events) assert.ok(e.startsWith('data: '), `event framing: ${JSON.stringify(e)}`);
  assert.equal(events.at(-1), 'data: [DONE]');
  return events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
}

/** An OpenAI error response: asserts status and code, returns the error object. */
export async function expectError(res: Response, status: number, code: string) {
  const body = (await res.json()) as {
    error: { message: string; type: string; code: string; param: string | null };
  };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code, JSON.stringify(body));
  assert.equal(typeof body.error.message, 'string');
  return body.error;
}

/** One engine instance's load as the gateway's /health reports it (from the instance's heartbeats). */
export interface InstanceHealth {
  id: string;
  role: string;
  numBlocks: number;
  numFreeBlocks: number;
  numRunning: number;
  numWaiting: number;
  prefillTokensPerS: number;
  timestampMs: number;
}

export async function instancesOf(base: string): Promise<InstanceHealth[]> {
  const body = (await (await fetch(`${base}/health`)).json()) as {
    detail?: { instances?: InstanceHealth[] };
  };
  return body.detail?.instances ?? [];
}

/** Polls `check` until it returns true (a condition on another process, seen through HTTP). */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The end of the clusters' logs (for assertion messages). */
export function recentLogs(lines = 60): string {
  return logs.slice(-lines).join('\n');
}

/** The engine in this process on the same model: what a colocated run must produce. */
export function referenceEngine() {
  const model = loadModel(MODEL_PATH);
  const engine = createModelEngine(model, { numBlocks: 64 });
  return {
    tokenizer: model.tokenizer,
    async generate(promptTokenIds: number[], params: SamplingParamsInit) {
      const [out] = await engine.llm.generate({ promptTokenIds }, params);
      return out.outputs.map((o) => ({ text: o.text, tokenIds: o.tokenIds, finishReason: o.finishReason }));
    },
    close: () => engine.close(),
  };
}
