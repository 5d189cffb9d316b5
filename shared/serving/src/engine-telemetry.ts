import type { EngineCore, KvConnectorEvent, RequestSink } from '@pdserve/engine';
import type { InstanceInfo } from '@pdserve/protocol';
import { EngineMetrics, EngineRequestTelemetry, type ServiceTelemetry } from '@pdserve/telemetry';

/**
 * An EngineService's telemetry: vLLM's engine metrics read from its core at scrape time, and the
 * per-request tracker (spans and queue/prefill/decode histograms) that the service feeds.
 */
export function createEngineTelemetry(
  telemetry: ServiceTelemetry,
  core: EngineCore,
  info: InstanceInfo,
): EngineRequestTelemetry {
  const metrics = new EngineMetrics(telemetry.registry, info.model, () => core.stats);
  return new EngineRequestTelemetry({
    telemetry,
    metrics,
    model: info.model,
    instanceId: info.id,
    lookup: (id) => core.scheduler.requests.get(id),
  });
}

/** `sink` with the tracker told of each output and failure first (no tracker: `sink` itself). */
export function observedSink(
  sink: RequestSink,
  requestId: string,
  tracker: EngineRequestTelemetry | null,
): RequestSink {
  if (tracker === null) return sink;
  return {
    push(output) {
      tracker.output(requestId, output);
      sink.push(output);
    },
    fail(error) {
      tracker.failed(requestId, error);
      sink.fail(error);
    },
  };
}

/** What a KV connector event means for the tracker: KV arrived, a receive failed, a send is over. */
export function observeKvEvent(tracker: EngineRequestTelemetry | null, event: KvConnectorEvent): void {
  if (tracker === null) return;
  if (event.type === 'recvCommitted') tracker.committed(event.requestId);
  else if (event.type === 'recvFailed') tracker.failed(event.requestId, event.error);
  else if (event.type === 'sendFinished') tracker.transferEnded(event.requestId);
}
