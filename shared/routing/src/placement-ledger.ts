import type { RouteDecision, RouteRequest } from '@pdserve/protocol';
import type { PendingLoad } from './cluster-snapshot.js';

/** One placement this router made, as load on its instances. */
interface Placement {
  atMs: number;
  instanceId: string;
  decodeRequests: number;
  promptTokens: number;
  blocks: number;
  tpotMs: number | undefined;
}

/** What the ledger needs to know of the instances a decision names. */
export type BlockSizeOf = (instanceId: string) => number;

/**
 * The placements this router decided recently, kept until the instances' heartbeats can show
 * them: a placement at time t counts as pending load on an instance until a heartbeat of that
 * instance was seen after t + graceMs (the submit's way to the engine). RouterService records
 * every decision and builds snapshots with `pendingFor`; entries older than maxAgeMs are dropped
 * (an instance that stopped beating is dead by then). Router-local soft state: another router's
 * placements show up only in heartbeats.
 */
export class PlacementLedger {
  readonly #graceMs: number;
  readonly #maxAgeMs: number;
  #entries: Placement[] = [];

  constructor(graceMs: number, maxAgeMs = 10_000) {
    this.#graceMs = graceMs;
    this.#maxAgeMs = maxAgeMs;
  }

  /** Entries held now (for tests and stats). */
  get size(): number {
    return this.#entries.length;
  }

  /** Records a decision made at `nowMs`. */
  record(request: RouteRequest, decision: RouteDecision, blockSizeOf: BlockSizeOf, nowMs: number): void {
    const uncached = request.numPromptTokens - decision.numCachedTokens;
    const tpotMs = request.slo?.tpotMs;
    const d = decision.decodeInstanceId;
    const total = request.numPromptTokens + (request.maxTokens ?? 0);
    const decodeBlocks = Math.ceil(total / blockSizeOf(d));
    const base = { atMs: nowMs, tpotMs };
    if (decision.mode === 'colocated' || decision.prefillInstanceId === undefined) {
      const cachedBlocks = Math.floor(decision.numCachedTokens / blockSizeOf(d));
      this.#push({
        ...base,
        instanceId: d,
        decodeRequests: 1,
        promptTokens: uncached,
        blocks: decodeBlocks - cachedBlocks,
      });
      return;
    }
    const p = decision.prefillInstanceId;
    const bs = blockSizeOf(p);
    const prefillBlocks = Math.ceil(request.numPromptTokens / bs) - Math.floor(decision.numCachedTokens / bs);
    this.#push({ ...base, instanceId: p, decodeRequests: 0, promptTokens: uncached, blocks: prefillBlocks });
    this.#push({ ...base, instanceId: d, decodeRequests: 1, promptTokens: 0, blocks: decodeBlocks });
  }

  /** The load placed on `instanceId` that a heartbeat seen at `seenAtMs` cannot show yet. */
  pendingFor(instanceId: string, seenAtMs: number): PendingLoad | undefined {
    let pending: PendingLoad | undefined;
    for (const e of this.#entries) {
      if (e.instanceId !== instanceId || e.atMs + this.#graceMs <= seenAtMs) continue;
      pending ??= { decodeRequests: 0, promptTokens: 0, blocks: 0, numWithoutTpotSlo: 0 };
      pending.decodeRequests += e.decodeRequests;
      pending.promptTokens += e.promptTokens;
      pending.blocks += e.blocks;
      if (e.decodeRequests === 0) continue;
      if (e.tpotMs === undefined) pending.numWithoutTpotSlo += e.decodeRequests;
      else pending.minTpotMs = Math.min(pending.minTpotMs ?? e.tpotMs, e.tpotMs);
    }
    return pending;
  }

  /** Drops entries older than maxAgeMs. */
  prune(nowMs: number): void {
    if (this.#entries.length > 0 && this.#entries[0].atMs < nowMs - this.#maxAgeMs) {
      this.#entries = this.#entries.filter((e) => e.atMs >= nowMs - this.#maxAgeMs);
    }
  }

  #push(entry: Placement): void {
    this.#entries.push(entry);
  }
}
