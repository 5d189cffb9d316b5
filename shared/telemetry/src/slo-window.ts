/** A request's latency targets in milliseconds (absent: no target on that measure). */
export interface SloTargets {
  ttftMs?: number;
  tpotMs?: number;
}

/** Distinct SLO classes kept apart before the rest are pooled as 'other' (bounds label cardinality). */
const MAX_CLASSES = 16;

interface Outcome {
  atMs: number;
  key: string;
  met: boolean;
}

/** Attainment and goodput of one (model, class) over the window. */
export interface SloWindowStat {
  model: string;
  sloClass: string;
  attainment: number;
  goodput: number;
}

/**
 * The recent SLO outcomes of the gateway's requests, for the attainment and goodput gauges: each
 * finished (or failed) request with targets is kept for `windowMs`. Classes are named by their
 * targets ('ttft=500ms,tpot=50ms'); after MAX_CLASSES distinct ones, new ones are 'other'.
 */
export class SloWindow {
  readonly #outcomes: Outcome[] = [];
  readonly #classes = new Set<string>();
  readonly #startMs: number;

  constructor(
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#startMs = now();
  }

  /** The class label of `targets`; undefined when there is no target. */
  classOf(targets: SloTargets | undefined): string | undefined {
    if (targets === undefined) return undefined;
    const parts: string[] = [];
    if (targets.ttftMs !== undefined) parts.push(`ttft=${targets.ttftMs}ms`);
    if (targets.tpotMs !== undefined) parts.push(`tpot=${targets.tpotMs}ms`);
    if (parts.length === 0) return undefined;
    const name = parts.join(',');
    if (this.#classes.has(name)) return name;
    if (this.#classes.size >= MAX_CLASSES) return 'other';
    this.#classes.add(name);
    return name;
  }

  /** Records one request's outcome. */
  add(model: string, sloClass: string, met: boolean): void {
    this.#outcomes.push({ atMs: this.now(), key: JSON.stringify([model, sloClass]), met });
  }

  /** Attainment (met / all) and goodput (met per second) per (model, class) over the window. */
  stats(): SloWindowStat[] {
    const now = this.now();
    while (this.#outcomes.length > 0 && this.#outcomes[0].atMs < now - this.windowMs) this.#outcomes.shift();
    const seconds = Math.max(0.001, Math.min(this.windowMs, now - this.#startMs) / 1000);
    const byKey = new Map<string, { all: number; met: number }>();
    for (const o of this.#outcomes) {
      const s = byKey.get(o.key) ?? { all: 0, met: 0 };
      s.all++;
      if (o.met) s.met++;
      byKey.set(o.key, s);
    }
    return [...byKey].map(([key, s]) => {
      const [model, sloClass] = JSON.parse(key) as [string, string];
      return { model, sloClass, attainment: s.met / s.all, goodput: s.met / seconds };
    });
  }
}
