import { EngineError } from './errors.js';
import type { ModelInput } from './model-executor.js';
import type { SchedulerOutput } from './scheduler-output.js';

/** Where one scheduled request's logits sit in the step's logits rows. */
export interface LogitsRowMap {
  /** Index into logitsRows of the row to sample from, or -1 (a prefill chunk that does not sample). */
  sampleRow: number;
  /** Prompt-logprob rows: logitsRows[promptFirstRow + i] scores prompt token promptFirstPosition + i. */
  promptFirstRow: number;
  promptFirstPosition: number;
  promptCount: number;
}

/** A ModelInput plus, per scheduled request (in SchedulerOutput order), where its logits are. */
export interface BuiltModelInput {
  input: ModelInput;
  rows: LogitsRowMap[];
}

/**
 * Turns a SchedulerOutput into the flattened ModelInput the runner takes. Called by EngineCore
 * right after `schedule()`, whose output records each request's chunk start (numComputedTokens)
 * before the scheduler advanced it. Pure: reads requests' tokens, mutates nothing.
 */
export class ModelInputBuilder {
  constructor(readonly blockSize: number) {}

  build(output: SchedulerOutput): BuiltModelInput {
    const seqs = output.scheduledRequests;
    const total = output.totalNumScheduledTokens;
    const bs = this.blockSize;
    const maxBlocksPerSeq = Math.max(
      1,
      ...seqs.map((s) => Math.ceil((s.numComputedTokens + s.numScheduledTokens) / bs)),
    );
    const input: ModelInput = {
      tokenIds: new Int32Array(total),
      positions: new Int32Array(total),
      slotMapping: new Int32Array(total),
      queryStart: new Int32Array(seqs.length),
      queryLen: new Int32Array(seqs.length),
      contextLen: new Int32Array(seqs.length),
      blockTables: new Int32Array(seqs.length * maxBlocksPerSeq),
      maxBlocksPerSeq,
      logitsRows: new Int32Array(0),
    };
    const logitsRows: number[] = [];
    const rows: LogitsRowMap[] = [];
    let row = 0;
    seqs.forEach((s, i) => {
      this.fillSequence(
        input,
        i,
        row,
        s.numComputedTokens,
        s.numScheduledTokens,
        s.request.allTokenIds,
        s.blockIds,
      );
      rows.push(this.logitsRowsOf(s, row, logitsRows));
      row += s.numScheduledTokens;
    });
    if (row !== total) throw new EngineError(`scheduled ${row} tokens but the output says ${total}`);
    input.logitsRows = Int32Array.from(logitsRows);
    return { input, rows };
  }

  private fillSequence(
    input: ModelInput,
    seq: number,
    firstRow: number,
    start: number,
    n: number,
    tokens: readonly number[],
    blockIds: readonly number[],
  ): void {
    const bs = this.blockSize;
    const end = start + n;
    if (Math.ceil(end / bs) > blockIds.length) throw new EngineError(`sequence ${seq} has too few blocks`);
    if (end > tokens.length) throw new EngineError(`sequence ${seq} schedules tokens it does not have`);
    input.queryStart[seq] = firstRow;
    input.queryLen[seq] = n;
    input.contextLen[seq] = end;
    input.blockTables.set(blockIds.slice(0, Math.ceil(end / bs)), seq * input.maxBlocksPerSeq);
    for (let i = 0; i < n; i++) {
      const pos = start + i;
      input.tokenIds[firstRow + i] = tokens[pos];
      input.positions[firstRow + i] = pos;
      input.slotMapping[firstRow + i] = blockIds[Math.floor(pos / bs)] * bs + (pos % bs);
    }
  }

  /** Appends this request's wanted rows (prompt logprobs first, then the sampling row). */
  private logitsRowsOf(
    s: SchedulerOutput['scheduledRequests'][number],
    firstRow: number,
    out: number[],
  ): LogitsRowMap {
    const { request, numComputedTokens: start, numScheduledTokens: n } = s;
    const map: LogitsRowMap = {
      sampleRow: -1,
      promptFirstRow: out.length,
      promptFirstPosition: 0,
      promptCount: 0,
    };
    if (request.samplingParams.promptLogprobs !== null) {
      // Row at position p scores prompt token p + 1.
      const from = Math.max(start, request.promptLogprobsUpTo);
      const to = Math.min(start + n, request.numPromptTokens - 1);
      for (let p = from; p < to; p++) out.push(firstRow + p - start);
      map.promptFirstPosition = from + 1;
      map.promptCount = Math.max(0, to - from);
    }
    if (start + n === request.numTokens) {
      map.sampleRow = out.length;
      out.push(firstRow + n - 1);
    }
    return map;
  }
}
