import type { RequestMetrics } from './request-metrics.js';
import type { SloTargets } from './slo-window.js';

/**
 * One prompt's latencies as the gateway sees them, from when it handed the prompt to the backend:
 * `tokens()` as outputs arrive (the first ones give TTFT; later ones ITL, one observation per
 * token, the gap spread evenly over a batch), then `finished()` (end-to-end latency, TPOT, finish
 * reasons, SLO outcome) or `failed()` (error count; a missed SLO). Only the first end counts.
 */
export class RequestTimer {
  readonly startMs: number;
  #firstTokenMs: number | null = null;
  #lastTokenMs: number | null = null;
  #numTokens = 0;
  #ended = false;

  constructor(
    private readonly metrics: RequestMetrics,
    readonly model: string,
    readonly slo: SloTargets | undefined,
    private readonly clock: () => number,
  ) {
    this.startMs = clock();
  }

  /** Generated tokens so far. */
  get numTokens(): number {
    return this.#numTokens;
  }

  /** Seconds to the first token (null before it). */
  get ttftS(): number | null {
    return this.#firstTokenMs === null ? null : (this.#firstTokenMs - this.startMs) / 1000;
  }

  /** `count` new tokens arrived now (the prompt's `promptTokens` are counted with the first ones). */
  tokens(count: number, promptTokens: number): void {
    if (count <= 0 || this.#ended) return;
    const now = this.clock();
    const labels = { model_name: this.model };
    if (this.#firstTokenMs === null) {
      this.#firstTokenMs = now;
      this.metrics.ttft.observe(labels, (now - this.startMs) / 1000);
      this.metrics.promptTokens.inc(labels, promptTokens);
      for (let i = 1; i < count; i++) this.metrics.itl.observe(labels, 0);
    } else {
      const gap = (now - (this.#lastTokenMs ?? now)) / 1000 / count;
      for (let i = 0; i < count; i++) this.metrics.itl.observe(labels, gap);
    }
    this.#lastTokenMs = now;
    this.#numTokens += count;
    this.metrics.generationTokens.inc(labels, count);
  }

  /** The request finished; `reasons` has each sequence's finish reason. */
  finished(reasons: readonly string[]): void {
    if (this.#ended) return;
    this.#ended = true;
    const labels = { model_name: this.model };
    const e2eS = (this.clock() - this.startMs) / 1000;
    this.metrics.e2e.observe(labels, e2eS);
    for (const reason of reasons) this.metrics.success.inc({ ...labels, finished_reason: reason });
    const tpotS = this.#tpotS();
    if (tpotS !== null) this.metrics.tpot.observe(labels, tpotS);
    const ttftS = this.ttftS;
    const ttftOk = this.slo?.ttftMs === undefined || (ttftS !== null && ttftS * 1000 <= this.slo.ttftMs);
    const tpotOk = this.slo?.tpotMs === undefined || tpotS === null || tpotS * 1000 <= this.slo.tpotMs;
    this.metrics.recordSlo(this.model, this.slo, ttftOk && tpotOk && !reasons.includes('abort'));
  }

  /** The request failed with a ServiceError `code` (or was rejected before running). */
  failed(code: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.metrics.errors.inc({ model_name: this.model, code });
    this.metrics.recordSlo(this.model, this.slo, false);
  }

  /** Decode time per token after the first; null with fewer than two tokens. */
  #tpotS(): number | null {
    if (this.#numTokens < 2 || this.#firstTokenMs === null || this.#lastTokenMs === null) return null;
    return (this.#lastTokenMs - this.#firstTokenMs) / 1000 / (this.#numTokens - 1);
  }
}
