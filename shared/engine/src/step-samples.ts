import type { EngineCoreOutput, SampleResult } from './engine-core-output.js';
import type { BuiltModelInput } from './model-input-builder.js';
import type { Request } from './request.js';
import type { SampledToken, SampleItem, Sampler } from './sampler.js';
import type { Scheduler } from './scheduler.js';
import type { SchedulerOutput } from './scheduler-output.js';

/** The samples a step will take: each request's result, its rows to sample, and new n > 1 siblings. */
export interface PlannedSamples {
  results: Map<string, SampleResult>;
  items: SampleItem[];
  forked: Set<Request>;
}

/**
 * EngineCore.step's first half of the update, after the executor: computes prompt logprobs, forks
 * (with `fork`) the n > 1 siblings of requests that finish their prompt now, and lists the rows to
 * sample (a sibling samples its parent's row). Requests finished while the step ran are skipped.
 */
export function planSamples(
  output: SchedulerOutput,
  built: BuiltModelInput,
  logits: Float32Array,
  sampler: Sampler,
  fork: (parent: Request) => Request[],
): PlannedSamples {
  const planned: PlannedSamples = { results: new Map(), items: [], forked: new Set() };
  output.scheduledRequests.forEach((s, i) => {
    const request = s.request;
    if (request.isFinished) return;
    const rows = built.rows[i];
    const result: SampleResult = { tokenId: null, logprobs: null, promptLogprobs: null };
    if (rows.promptCount > 0) {
      const { promptFirstRow, promptFirstPosition, promptCount } = rows;
      result.promptLogprobs = sampler.promptLogprobs(
        logits,
        promptFirstRow,
        promptFirstPosition,
        promptCount,
        request,
      );
      request.promptLogprobsUpTo = promptFirstPosition - 1 + promptCount;
    }
    if (rows.sampleRow >= 0) {
      planned.items.push({ row: rows.sampleRow, request });
      if (request.pendingFork) {
        for (const child of fork(request)) {
          planned.items.push({ row: rows.sampleRow, request: child });
          planned.forked.add(child);
        }
      }
    }
    planned.results.set(request.requestId, result);
  });
  return planned;
}

/**
 * The second half: applies the sampled tokens (in `planned.items` order) to the step's requests in
 * batch order, then to the new siblings. Returns the step's outputs.
 */
export function applySamples(
  scheduler: Scheduler,
  output: SchedulerOutput,
  planned: PlannedSamples,
  sampled: readonly SampledToken[],
): EngineCoreOutput[] {
  const childResults: [Request, SampleResult][] = [];
  planned.items.forEach(({ request }, i) => {
    if (planned.forked.has(request)) childResults.push([request, { ...sampled[i], promptLogprobs: null }]);
    else Object.assign(planned.results.get(request.requestId)!, sampled[i]);
  });
  const outs = scheduler.updateFromOutput(output, planned.results);
  for (const [child, result] of childResults) {
    const out = scheduler.applySample(child, result);
    if (out !== null) outs.push(out);
  }
  return outs;
}
