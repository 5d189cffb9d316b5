import cliProgress from 'cli-progress';
import type { RequestResult } from '../metrics/request-result.js';

/** Where and how progress is shown. */
export interface ProgressOptions {
  /** Usually process.stderr: stdout stays free for the table. */
  stream: NodeJS.WriteStream;
  /** 'bar' on a TTY, 'lines' (one every intervalMs) otherwise, 'off' with --quiet. */
  mode: 'bar' | 'lines' | 'off';
  intervalMs?: number;
  label: string;
}

/**
 * Shows a run's progress while it runs: a cli-progress bar on a terminal, else a plain line
 * every few seconds (for CI logs). Fed by the runner's onResult.
 */
export class ProgressReporter {
  private done = 0;
  private readonly counts = { ok: 0, rejected: 0, failed: 0 };
  private bar: cliProgress.SingleBar | null = null;
  private timer: NodeJS.Timeout | null = null;
  private startMs = 0;

  constructor(
    private readonly total: number,
    private readonly o: ProgressOptions,
  ) {}

  /** Picks 'bar' for a TTY stream, else 'lines'; 'off' when quiet. */
  static modeFor(stream: NodeJS.WriteStream, quiet: boolean): ProgressOptions['mode'] {
    if (quiet) return 'off';
    return stream.isTTY ? 'bar' : 'lines';
  }

  start(): void {
    this.startMs = performance.now();
    if (this.o.mode === 'bar') {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.o.stream,
          format: `${this.o.label} |{bar}| {value}/{total} | ok {ok} rejected {rejected} failed {failed} | {duration}s, eta {eta}s`,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(this.total, 0, this.counts);
    } else if (this.o.mode === 'lines') {
      this.timer = setInterval(() => this.o.stream.write(`${this.line()}\n`), this.o.intervalMs ?? 5000);
      this.timer.unref();
    }
  }

  update(r: RequestResult): void {
    this.done++;
    this.counts[r.outcome]++;
    this.bar?.update(this.done, this.counts);
  }

  stop(): void {
    this.bar?.stop();
    if (this.timer) {
      clearInterval(this.timer);
      this.o.stream.write(`${this.line()}\n`);
    }
    this.bar = null;
    this.timer = null;
  }

  /** The plain progress line. */
  line(): string {
    const s = ((performance.now() - this.startMs) / 1000).toFixed(1);
    const { ok, rejected, failed } = this.counts;
    return `[${this.o.label}] ${this.done}/${this.total} done (ok ${ok}, rejected ${rejected}, failed ${failed}) after ${s} s`;
  }
}
