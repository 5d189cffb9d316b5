export { createLogger, type LoggerOptions, type LogLevel } from './create-logger.js';
export { EngineMetrics, type EngineStatsLike } from './engine-metrics.js';
export type { EngineTask } from './engine-request-record.js';
export {
  type EngineOutputLike,
  EngineRequestTelemetry,
  type EngineRequestTelemetryOptions,
  type EngineRequestView,
  type StepTimesLike,
} from './engine-request-telemetry.js';
export { epochNowMs } from './epoch-clock.js';
export { type KvAgentStatsLike, registerKvAgentGauges } from './kv-agent-gauges.js';
export {
  type KvTransferObservation,
  type KvTransferResult,
  type KvTransferStart,
  KvTransferTelemetry,
} from './kv-transfer-telemetry.js';
export { BUCKETS } from './metric-buckets.js';
export { type RunningMetricsServer, startMetricsServer } from './metrics-server.js';
export {
  checkHistograms,
  type PrometheusFamily,
  PrometheusParseError,
  type PrometheusSample,
  parsePrometheusText,
  sumSamples,
} from './prometheus-text.js';
export { RecentRequests } from './recent-requests.js';
export { RequestMetrics, type RequestMetricsOptions } from './request-metrics.js';
export {
  type RequestTimeline,
  requestTimeline,
  type TimelinePhase,
  type TimelineSegment,
} from './request-timeline.js';
export { RequestTimer } from './request-timer.js';
export {
  type LearnedInputsLike,
  type RouterSources,
  type RouterStatsLike,
  registerRouterSources,
} from './router-learned-inputs.js';
export { type RouteDecisionLike, type RouteRequestLike, RouterTelemetry } from './router-telemetry.js';
export { otlpTracesUrl, ServiceTelemetry, type ServiceTelemetryOptions } from './service-telemetry.js';
export { type SloTargets, SloWindow, type SloWindowStat } from './slo-window.js';
export { ATTR, SPAN } from './span-attributes.js';
export { SpanFanout } from './span-fanout.js';
export { spanSummaryOf } from './span-summary-of.js';
export { SpanSummaryPublisher } from './span-summary-publisher.js';
export { type TelemetryConfig, telemetryConfigShape } from './telemetry-config.js';
export { contextFromHeaders, traceHeaders } from './trace-headers.js';
