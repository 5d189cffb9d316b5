export { type Cancel, cancelCodec } from './cancel.js';
export { type Heartbeat, heartbeatCodec } from './heartbeat.js';
export {
  type InstanceInfo,
  type InstanceRole,
  instanceInfoCodec,
  type KvConnectorEndpoint,
  type KvLayout,
} from './instance-info.js';
export { type InstanceRecord, instanceRecordCodec } from './instance-record.js';
export { KV_AGENT_BUCKET, type KvAgentOp, kvAgentSubjects } from './kv-agent-subjects.js';
export {
  type KvEventBatch,
  kvEventBatchCodec,
  type WireAllBlocksCleared,
  type WireBlockRemoved,
  type WireBlockStored,
  type WireKvEvent,
} from './kv-events.js';
export type { KvTransferParams } from './kv-transfer-params.js';
export { type DecodeStepSample, type LoadReport, loadReportCodec } from './load-report.js';
export { defineMessage, type MessageCodec } from './message-codec.js';
export { PROTOCOL_VERSION } from './protocol-version.js';
export { type RouteDecision, type RouteRequest, routeDecisionCodec, routeRequestCodec } from './route.js';
export {
  isServiceErrorCode,
  SERVICE_ERROR_CODES,
  ServiceError,
  type ServiceErrorCode,
  type ServiceErrorInit,
  type ServiceErrorWire,
} from './service-error.js';
export { serviceErrorCodec } from './service-error-message.js';
export type { SloHints } from './slo-hints.js';
export {
  type SpanAttributeValue,
  type SpanSummary,
  type SpanSummaryBatch,
  spanSummaryBatchCodec,
} from './span-summaries.js';
export {
  type StreamReplay,
  type StreamReplayReply,
  streamReplayCodec,
  streamReplayReplyCodec,
} from './stream-replay.js';
export { escapeSubjectToken, MAX_SUBJECT_TOKEN_LENGTH, unescapeSubjectToken } from './subject-token.js';
export { INSTANCE_BUCKET, type KvXferOp, subjects } from './subjects.js';
export { type SubmitReply, type SubmitRequest, submitReplyCodec, submitRequestCodec } from './submit.js';
export { type TokenBatch, type TokenUsage, tokenBatchCodec, type WireTokenLogprobs } from './token-batch.js';
export type { TraceContext } from './trace-context.js';
export type { WireSamplingParams } from './wire-sampling-params.js';
