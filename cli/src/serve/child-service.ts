import { type ChildProcess, spawn } from 'node:child_process';
import { LineSplitter } from './line-splitter.js';

/** The prefix of a service's ready line (printed by its main once it serves; see @pdserve/serving). */
export const READY_PREFIX = 'PDSERVE-READY ';

/** A child service failed to start or exited; the message carries the end of its log. */
export class ChildServiceError extends Error {
  override readonly name = 'ChildServiceError';
}

/** How a child service is started and where its lines go. */
export interface ChildServiceOptions {
  /** The log prefix and the name in errors, e.g. 'decode-0'. */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Gets every output line (already prefixed with `[name] `) except ready lines. */
  log: (line: string) => void;
  /** Whether a line should be shown (default: all). */
  show?: (line: string) => boolean;
  /** For programs without a ready line (nats-server): the line that says it is ready. */
  readyWhen?: (line: string) => boolean;
}

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const TAIL_LINES = 40;

/**
 * One service process started by `pdserve serve`: its stdout and stderr are logged line by line with
 * its name as prefix; `ready` resolves with the details of its ready line (`PDSERVE-READY {json}`)
 * and rejects if it exits first. Started in its own process group, so a terminal's Ctrl-C reaches
 * only the supervisor, which stops the children in order.
 */
export class ChildService {
  readonly name: string;
  readonly ready: Promise<Record<string, unknown>>;
  readonly exited: Promise<ChildExit>;
  readonly #child: ChildProcess;
  readonly #tail: string[] = [];
  #exit: ChildExit | null = null;

  constructor(options: ChildServiceOptions) {
    this.name = options.name;
    this.#child = spawn(options.command, [...options.args], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let markReady: (details: Record<string, unknown>) => void = () => {};
    const announced = new Promise<Record<string, unknown>>((resolve) => {
      markReady = resolve;
    });
    const onLine = (line: string) => this.#onLine(line, options, markReady);
    const out = new LineSplitter(onLine);
    const err = new LineSplitter(onLine);
    this.#child.stdout?.setEncoding('utf8').on('data', (c: string) => out.push(c));
    this.#child.stderr?.setEncoding('utf8').on('data', (c: string) => err.push(c));
    this.exited = new Promise((resolve) => {
      const exit = (e: ChildExit) => {
        out.flush();
        err.flush();
        this.#exit ??= e;
        resolve(this.#exit);
      };
      this.#child.once('error', (error) => {
        this.#tail.push(`cannot start: ${error.message}`);
        exit({ code: null, signal: null });
      });
      this.#child.once('close', (code, signal) => exit({ code, signal }));
    });
    this.ready = Promise.race([announced, this.exited.then((exit) => this.#notReady(exit))]);
    this.ready.catch(() => {});
  }

  #onLine(line: string, options: ChildServiceOptions, markReady: (d: Record<string, unknown>) => void): void {
    if (options.readyWhen === undefined && line.startsWith(READY_PREFIX)) {
      markReady(parseObject(line.slice(READY_PREFIX.length)));
      return;
    }
    // A JSON ready line (the kv-connector agent's) gives its fields as details.
    if (options.readyWhen?.(line)) markReady(parseObject(line));
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    if (options.show?.(line) ?? true) options.log(`[${this.name}] ${line}`);
  }

  #notReady(exit: ChildExit): never {
    throw new ChildServiceError(
      `${this.name} exited (${describeExit(exit)}) before it was ready:\n${this.logTail()}`,
    );
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.#exit === null;
  }

  /** The last lines it printed. */
  logTail(): string {
    return this.#tail.join('\n');
  }

  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `timeoutMs` (default 10 s). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ChildExit> {
    if (this.#exit !== null) return this.#exit;
    this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills it at once (the supervisor is exiting). */
  killNow(): void {
    if (this.#exit === null) this.#child.kill('SIGKILL');
  }
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** 'code 1' or 'signal SIGKILL'. */
export function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
}
