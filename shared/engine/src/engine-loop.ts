import type { EngineCore, EngineCoreRequest } from './engine-core.js';
import type { EngineCoreOutputs } from './engine-core-output.js';
import { ExecutorError } from './errors.js';
import type { Detokenizer } from './incremental-detokenizer.js';
import { OutputProcessor } from './output-processor.js';
import type { RequestOutput } from './request-output.js';
import { RequestStatus } from './request-status.js';

/** Where a request's outputs go (a generate() promise, a stream's queue, a NATS publisher). */
export interface RequestSink {
  push(output: RequestOutput): void;
  fail(error: Error): void;
}

/**
 * Drives an EngineCore while it has work, pipelined: as soon as step k's outputs arrive it launches
 * step k+1 (schedule, build, execute) and only then processes step k's outputs (detokenize, stop
 * strings, deliver), so that work overlaps the runner's compute instead of delaying it. A stop
 * string found while step k+1 runs finishes the sequence at once; its step k+1 token is dropped.
 * Used by LLM and, later, by the serving processes.
 */
export class EngineLoop {
  private readonly processor: OutputProcessor;
  private readonly sinks = new Map<string, RequestSink>();
  private running: Promise<void> | null = null;

  constructor(
    readonly core: EngineCore,
    detokenizer: Detokenizer | null,
  ) {
    this.processor = new OutputProcessor(detokenizer);
  }

  /** Adds a request (validated by EngineCore, which may throw) and starts the loop if idle. */
  addRequest(request: EngineCoreRequest, sink: RequestSink): void {
    this.core.addRequest(request);
    this.processor.addRequest(request.requestId, request.promptTokenIds, request.samplingParams);
    this.sinks.set(request.requestId, sink);
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
  }

  /** Aborts a request now: frees its blocks and delivers a final output with finish reason 'abort'. */
  abort(requestId: string): void {
    this.core.abortRequests([requestId]);
    const final = this.processor.abortRequest(requestId);
    const sink = this.sinks.get(requestId);
    this.sinks.delete(requestId);
    if (final !== null) sink?.push(final);
  }

  /** Resolves when the loop has gone idle (no unfinished requests). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async run(): Promise<void> {
    let pending: Promise<EngineCoreOutputs> | null = null;
    while (pending !== null || this.core.hasUnfinishedRequests()) {
      pending ??= this.core.step();
      let outputs: EngineCoreOutputs;
      try {
        outputs = await pending;
      } catch (error) {
        pending = null;
        this.failRequests(error);
        continue;
      }
      // Launch step k+1 before processing step k's outputs.
      pending = this.core.hasUnfinishedRequests() ? this.core.step() : null;
      // Marks a rejection as handled until it is awaited above (it may settle during the wait below).
      pending?.catch(() => {});
      this.deliver(outputs);
      if (outputs.outputs.length === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private deliver(outputs: EngineCoreOutputs): void {
    const { requestOutputs, requestsToAbort } = this.processor.processOutputs(outputs.outputs);
    this.core.finishSequences(requestsToAbort, RequestStatus.FINISHED_STOPPED);
    for (const out of requestOutputs) {
      const sink = this.sinks.get(out.requestId);
      if (out.finished) this.sinks.delete(out.requestId);
      sink?.push(out);
    }
  }

  private failRequests(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    const ids = error instanceof ExecutorError ? error.requestIds : [...this.sinks.keys()];
    if (!(error instanceof ExecutorError)) this.core.abortRequests(ids);
    for (const id of ids) {
      this.processor.abortRequest(id);
      this.sinks.get(id)?.fail(err);
      this.sinks.delete(id);
    }
  }
}
