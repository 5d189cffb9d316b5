import type { EngineCoreOutput, TokenLogprobs } from './engine-core-output.js';
import { EngineError } from './errors.js';
import { type Detokenizer, IncrementalDetokenizer } from './incremental-detokenizer.js';
import type { CompletionOutput, RequestOutput } from './request-output.js';
import type { FinishReason } from './request-status.js';
import type { SamplingParams } from './sampling-params.js';

/** One sequence's accumulated output. */
interface SequenceState {
  detokenizer: IncrementalDetokenizer | null;
  tokenIds: number[];
  logprobs: TokenLogprobs[] | null;
  cumulativeLogprob: number | null;
  finishReason: FinishReason | null;
  stopReason: number | string | null;
  /** Tokens and logprobs already reported in delta mode. */
  sent: number;
}

/** One user request and its n sequences. */
interface UserRequestState {
  requestId: string;
  promptTokenIds: readonly number[];
  params: SamplingParams;
  sequences: Map<number, SequenceState>;
  promptLogprobs: (TokenLogprobs | null)[] | null;
  promptLogprobsSent: number;
  numCachedTokens: number;
  finished: boolean;
}

/** The result of processing one step's outputs. */
export interface ProcessedOutputs {
  requestOutputs: RequestOutput[];
  /** Engine request ids that a stop string finished: abort them in EngineCore (FINISHED_STOPPED). */
  requestsToAbort: string[];
}

/**
 * The front half of the engine (vLLM's OutputProcessor): turns EngineCoreOutputs into
 * RequestOutputs, detokenizing incrementally and checking stop strings, and aggregating the n
 * sequences of a request. Runs while the executor computes the next step, so nothing here blocks
 * scheduling. Owned by the EngineLoop; mutates only its own per-request state.
 */
export class OutputProcessor {
  private readonly requests = new Map<string, UserRequestState>();

  constructor(private readonly detokenizer: Detokenizer | null) {}

  /** Registers a user request before its first engine output. */
  addRequest(requestId: string, promptTokenIds: readonly number[], params: SamplingParams): void {
    if (this.requests.has(requestId)) throw new EngineError(`output state for ${requestId} already exists`);
    this.requests.set(requestId, {
      requestId,
      promptTokenIds,
      params,
      sequences: new Map(),
      promptLogprobs: params.promptLogprobs === null ? null : [null],
      promptLogprobsSent: 0,
      numCachedTokens: 0,
      finished: false,
    });
  }

  get numUnfinishedRequests(): number {
    return this.requests.size;
  }

  /** Drops a request's state (abort); returns its final output with finish reason 'abort'. */
  abortRequest(requestId: string): RequestOutput | null {
    const state = this.requests.get(requestId);
    if (state === undefined) return null;
    for (let i = 0; i < state.params.n; i++) {
      const seq = this.sequence(state, i);
      seq.finishReason ??= 'abort';
    }
    state.finished = true;
    this.requests.delete(requestId);
    return this.makeOutput(state, [...state.sequences.keys()]);
  }

  /** Applies one step's outputs; returns the request outputs to emit and the stop-string aborts. */
  processOutputs(outputs: readonly EngineCoreOutput[]): ProcessedOutputs {
    const requestsToAbort: string[] = [];
    const changed = new Map<UserRequestState, number[]>();
    for (const out of outputs) {
      const state = this.requests.get(out.parentRequestId);
      if (state === undefined) continue;
      const seq = this.sequence(state, out.index);
      if (seq.finishReason !== null) continue;
      state.numCachedTokens = out.numCachedTokens;
      this.addPromptLogprobs(state, out);
      if (this.applyTokens(seq, out) && out.finishReason === null) requestsToAbort.push(out.requestId);
      changed.set(state, [...(changed.get(state) ?? []), out.index]);
    }
    const requestOutputs: RequestOutput[] = [];
    for (const [state, indices] of changed) {
      state.finished =
        state.sequences.size === state.params.n &&
        [...state.sequences.values()].every((s) => s.finishReason !== null);
      if (state.finished) this.requests.delete(state.requestId);
      if (state.params.outputKind === 'finalOnly' && !state.finished) continue;
      requestOutputs.push(this.makeOutput(state, indices));
    }
    return { requestOutputs, requestsToAbort };
  }

  private sequence(state: UserRequestState, index: number): SequenceState {
    let seq = state.sequences.get(index);
    if (seq === undefined) {
      const p = state.params;
      const stop = { stop: p.stop, includeStopStrInOutput: p.includeStopStrInOutput, minTokens: p.minTokens };
      seq = {
        detokenizer:
          this.detokenizer && new IncrementalDetokenizer(this.detokenizer, state.promptTokenIds, stop),
        tokenIds: [],
        logprobs: p.logprobs === null ? null : [],
        cumulativeLogprob: p.logprobs === null ? null : 0,
        finishReason: null,
        stopReason: null,
        sent: 0,
      };
      state.sequences.set(index, seq);
    }
    return seq;
  }

  /** Appends tokens, detokenizes, checks stop strings; returns true when a stop string ended the sequence. */
  private applyTokens(seq: SequenceState, out: EngineCoreOutput): boolean {
    seq.tokenIds.push(...out.newTokenIds);
    for (const lp of out.newLogprobs ?? []) {
      seq.logprobs?.push(lp);
      if (seq.cumulativeLogprob !== null) seq.cumulativeLogprob += lp.logprobs[0];
    }
    seq.finishReason = out.finishReason;
    seq.stopReason = out.stopReason;
    const stopTerminated = out.finishReason === 'stop' && typeof out.stopReason !== 'string';
    const stopString = seq.detokenizer?.update(out.newTokenIds, stopTerminated) ?? null;
    if (stopString === null) return false;
    seq.finishReason = 'stop';
    seq.stopReason = stopString;
    return true;
  }

  private addPromptLogprobs(state: UserRequestState, out: EngineCoreOutput): void {
    const chunk = out.newPromptLogprobs;
    if (chunk === null || state.promptLogprobs === null) return;
    chunk.entries.forEach((e, i) => {
      state.promptLogprobs![chunk.firstPosition + i] = e;
    });
  }

  private makeOutput(state: UserRequestState, indices: readonly number[]): RequestOutput {
    const delta = state.params.outputKind === 'delta';
    const which = delta ? [...new Set(indices)] : [...state.sequences.keys()];
    const outputs = which
      .sort((a, b) => a - b)
      .map((i) => this.completion(state.sequences.get(i)!, i, delta));
    let promptLogprobs = state.promptLogprobs;
    if (promptLogprobs !== null && delta) {
      promptLogprobs = promptLogprobs.slice(state.promptLogprobsSent);
      state.promptLogprobsSent += promptLogprobs.length;
    }
    return {
      requestId: state.requestId,
      promptTokenIds: state.promptTokenIds,
      promptLogprobs: promptLogprobs && [...promptLogprobs],
      outputs,
      finished: state.finished,
      numCachedTokens: state.numCachedTokens,
    };
  }

  private completion(seq: SequenceState, index: number, delta: boolean): CompletionOutput {
    const finished = seq.finishReason !== null;
    const from = delta ? seq.sent : 0;
    if (delta) seq.sent = seq.tokenIds.length;
    return {
      index,
      text: seq.detokenizer?.getNextOutputText(finished, delta) ?? '',
      tokenIds: seq.tokenIds.slice(from),
      cumulativeLogprob: seq.cumulativeLogprob,
      logprobs: seq.logprobs?.slice(from) ?? null,
      finishReason: seq.finishReason,
      stopReason: seq.stopReason,
    };
  }
}
