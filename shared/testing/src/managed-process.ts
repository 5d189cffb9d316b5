import { type ChildProcess, spawn } from 'node:child_process';
import { onProcessExit } from './exit-cleanup.js';

/** A child process could not be started (e.g. its executable is missing). */
export class ProcessStartError extends Error {
  override readonly name = 'ProcessStartError';
}

export interface ManagedProcessOptions {
  /** Names the process in errors and log prefixes. */
  name: string;
  command: string;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How much of the combined stdout/stderr to keep (the tail), default 1 MiB. */
  maxLogBytes?: number;
  /** Also copy the output to this process's stderr, each line prefixed with the name. */
  echo?: boolean;
}

/** How a managed process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process owned by a test: its output is kept (for assertions and failure messages), and
 * it is killed when the test process exits. Created by `ManagedProcess.start`.
 */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  #child: ChildProcess;
  #log = '';
  #maxLog: number;
  #exit: ProcessExit | null = null;
  #unregister: () => void;
  #waiters = new Set<() => void>();

  private constructor(child: ChildProcess, options: ManagedProcessOptions) {
    this.name = options.name;
    this.pid = child.pid ?? -1;
    this.#child = child;
    this.#maxLog = options.maxLogBytes ?? 1 << 20;
    this.#unregister = onProcessExit(() => child.kill('SIGKILL'));
    const capture = (chunk: Buffer) => this.#append(chunk.toString('utf8'), options.echo === true);
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        this.#unregister();
        resolve(this.#exit);
        for (const check of [...this.#waiters]) check();
      });
    });
  }

  /** Spawns the process; resolves once it runs, rejects with ProcessStartError if it cannot start. */
  static start(options: ManagedProcessOptions): Promise<ManagedProcess> {
    const child = spawn(options.command, options.args ?? [], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((resolve, reject) => {
      child.once('error', (cause) =>
        reject(
          new ProcessStartError(`cannot start ${options.name} (${options.command}): ${cause.message}`, {
            cause,
          }),
        ),
      );
      child.once('spawn', () => resolve(new ManagedProcess(child, options)));
    });
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.#exit === null;
  }

  /** The kept tail of its combined stdout and stderr. */
  logs(): string {
    return this.#log;
  }

  /**
   * Resolves when the kept output matches `pattern` (already or later); rejects when the process
   * exits first or after `timeoutMs` (default 10 s). For "wait until the service says ready".
   */
  waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pattern.test(this.#log)) finish(null);
        else if (this.#exit !== null)
          finish(new Error(`${this.name} exited before printing ${pattern}:\n${this.#log}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`${this.name} printed no ${pattern} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (err === null) resolve();
        else reject(err);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `timeoutMs` (default 5 s). */
  async stop(options: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<ProcessExit> {
    if (this.#exit !== null) return this.#exit;
    this.#child.kill(options.signal ?? 'SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), options.timeoutMs ?? 5000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #append(text: string, echo: boolean): void {
    if (echo) process.stderr.write(text.replace(/^(?=.)/gm, `[${this.name}] `));
    this.#log += text;
    if (this.#log.length > this.#maxLog) this.#log = this.#log.slice(this.#log.length - this.#maxLog);
    for (const check of [...this.#waiters]) check();
  }
}
