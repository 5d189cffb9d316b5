import { type ModelExecutor, type ModelInput, Request, type Sampler } from '@pdserve/engine';
import { benchSamplingParams, cpuMs } from './engine-run.js';
import type { BenchRequest } from './random-dataset.js';

/** What the static baseline produced. */
export interface StaticRunResult {
  /** Each request's generated tokens, in request order. */
  outputs: number[][];
  elapsedS: number;
  /** CPU time of this process (all threads) over the run. */
  cpuS: number;
  batchSize: number;
  numBatches: number;
  /** Mean over decode steps of (reserved - used) / reserved slots: the reservations' waste. */
  kvWaste: number;
}

/** Thrown when a request cannot fit its maxModelLen reservation. */
export class StaticBaselineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StaticBaselineError';
  }
}

/** One member of a static batch: its request, prompt length and reserved block row. */
interface Member {
  request: Request;
  promptLen: number;
  blocks: Int32Array;
}

/**
 * The naive engine `bench throughput --baseline static` compares with, on the same runner (same
 * kernels, same KV pool and so the same memory cap): every request reserves a contiguous run of
 * blocks for maxModelLen tokens, so the batch is as many reservations as the pool holds (at least
 * 1). Requests go in arrival order in static batches: one flattened forward prefills the whole
 * batch, then it decodes step by step until its longest member is done. A finished member stops
 * computing but keeps its reservation (as HF generate keeps a padded row) and nothing joins until
 * the whole batch is done. Sampling is the engine's own Sampler with the same per-request seeds.
 */
export class StaticBaseline {
  readonly blocksPerRequest: number;
  readonly batchSize: number;

  constructor(
    private readonly runner: ModelExecutor,
    private readonly sampler: Sampler,
    readonly maxModelLen: number,
  ) {
    this.blocksPerRequest = Math.ceil(maxModelLen / runner.blockSize);
    this.batchSize = Math.max(1, Math.floor(runner.numBlocks / this.blocksPerRequest));
    if (this.blocksPerRequest > runner.numBlocks) {
      throw new StaticBaselineError(
        `one maxModelLen reservation needs ${this.blocksPerRequest} blocks; the pool has ${runner.numBlocks}`,
      );
    }
  }

  /** Runs every request; seeds and temperature as in the engine run, so outputs are comparable. */
  async run(requests: readonly BenchRequest[], seed: number, temperature: number): Promise<StaticRunResult> {
    const outputs: number[][] = [];
    const wastes: number[] = [];
    const cpu0 = cpuMs();
    const t0 = performance.now();
    for (let first = 0; first < requests.length; first += this.batchSize) {
      const batch = requests.slice(first, first + this.batchSize).map((r, j) => {
        const i = first + j;
        if (r.promptTokenIds.length + r.outputLen > this.maxModelLen)
          throw new StaticBaselineError(
            `request ${i} needs more than maxModelLen ${this.maxModelLen} tokens`,
          );
        return this.member(r, i, j, benchSamplingParams(r, i, seed, temperature));
      });
      await this.runBatch(batch, wastes);
      outputs.push(...batch.map((m) => [...m.request.outputTokenIds]));
    }
    return {
      outputs,
      elapsedS: (performance.now() - t0) / 1000,
      cpuS: (cpuMs() - cpu0) / 1000,
      batchSize: this.batchSize,
      numBatches: Math.ceil(requests.length / this.batchSize),
      kvWaste: wastes.length === 0 ? 0 : wastes.reduce((a, b) => a + b, 0) / wastes.length,
    };
  }

  private member(
    r: BenchRequest,
    i: number,
    slot: number,
    params: ReturnType<typeof benchSamplingParams>,
  ): Member {
    const request = new Request({
      requestId: `static-${i}`,
      promptTokenIds: r.promptTokenIds,
      samplingParams: params,
      maxTokens: r.outputLen,
      eosTokenIds: [],
    });
    const blocks = Int32Array.from(
      { length: this.blocksPerRequest },
      (_, b) => slot * this.blocksPerRequest + b,
    );
    return { request, promptLen: r.promptTokenIds.length, blocks };
  }

  /** Prefill all, then decode the unfinished members until none is left. */
  private async runBatch(batch: Member[], wastes: number[]): Promise<void> {
    await this.forwardAndSample(
      batch,
      batch.map((m) => m.promptLen),
    );
    const reserved = batch.length * this.blocksPerRequest * this.runner.blockSize;
    for (;;) {
      const active = batch.filter((m) => m.request.numOutputTokens < m.request.maxTokens);
      if (active.length === 0) return;
      await this.forwardAndSample(
        active,
        active.map(() => 1),
      );
      const used = batch.reduce((a, m) => a + m.request.numTokens - 1, 0);
      wastes.push((reserved - used) / reserved);
    }
  }

  /** One forward over the last `counts[s]` tokens of each member, then one sample per member. */
  private async forwardAndSample(members: Member[], counts: number[]): Promise<void> {
    const input = this.buildInput(members, counts);
    const logits = await this.runner.execute(input);
    const items = members.map((m, s) => ({ row: s, request: m.request }));
    const pending = this.sampler.sampleRows(logits, items);
    const sampled = pending instanceof Promise ? await pending : pending;
    members.forEach((m, s) => {
      m.request.appendOutputToken(sampled[s].tokenId);
    });
  }

  /** The flattened ModelInput: member s computes its last counts[s] tokens through its reserved blocks. */
  private buildInput(members: Member[], counts: number[]): ModelInput {
    const bs = this.runner.blockSize;
    const per = this.blocksPerRequest;
    const total = counts.reduce((a, b) => a + b, 0);
    const input: ModelInput = {
      tokenIds: new Int32Array(total),
      positions: new Int32Array(total),
      slotMapping: new Int32Array(total),
      queryStart: new Int32Array(members.length),
      queryLen: Int32Array.from(counts),
      contextLen: new Int32Array(members.length),
      blockTables: new Int32Array(members.length * per),
      maxBlocksPerSeq: per,
      logitsRows: new Int32Array(members.length),
    };
    let row = 0;
    members.forEach((m, s) => {
      const tokens = m.request.allTokenIds;
      const start = tokens.length - counts[s];
      input.queryStart[s] = row;
      input.contextLen[s] = tokens.length;
      input.blockTables.set(m.blocks, s * per);
      for (let p = start; p < tokens.length; p++, row++) {
        input.tokenIds[row] = tokens[p];
        input.positions[row] = p;
        input.slotMapping[row] = m.blocks[Math.floor(p / bs)] * bs + (p % bs);
      }
      input.logitsRows[s] = row - 1;
    });
    return input;
  }
}
