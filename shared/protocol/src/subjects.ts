import { ServiceError } from './service-error.js';
import { escapeSubjectToken, unescapeSubjectToken } from './subject-token.js';

/** The first token of every pdserve subject. */
const ROOT = 'pdserve';

/** Model names that would make a model-scoped subject look like a global one. */
const RESERVED_MODEL_TOKENS = new Set(['stream', 'cancel', 'kv', 'telemetry']);

/** The steps of a KV transfer transaction between kv-connector agents (design §4). */
export type KvXferOp = 'handshake' | 'reserve' | 'chunk' | 'commit' | 'abort' | 'release' | 'renew';

const KV_XFER_OPS: ReadonlySet<string> = new Set<KvXferOp>([
  'handshake',
  'reserve',
  'chunk',
  'commit',
  'abort',
  'release',
  'renew',
]);

/** The NATS KV bucket that holds one InstanceRecord per live engine instance. */
export const INSTANCE_BUCKET = 'pdserve-instances';

function modelToken(model: string): string {
  const token = escapeSubjectToken(model, 'model');
  if (RESERVED_MODEL_TOKENS.has(token)) {
    throw new ServiceError('invalid_request', `model name ${JSON.stringify(model)} is reserved`, {
      param: 'model',
    });
  }
  return token;
}

const id = (value: string, what: string) => escapeSubjectToken(value, what);

/**
 * Every NATS subject pdserve uses, and the KV keys of the instance bucket; nothing else in the
 * codebase builds one. Each value that goes into a subject is escaped (escapeSubjectToken), so
 * ids and model names may hold any characters. Builders throw ServiceError 'invalid_request' for
 * an empty or over-long value or a reserved model name ('stream', 'cancel', 'kv', 'telemetry').
 */
export const subjects = {
  /** Request/reply: RouteRequest -> RouteDecision, served by the model's routers (queue group). */
  route: (model: string) => `${ROOT}.${modelToken(model)}.router.route`,
  /** Request/reply: SubmitRequest -> SubmitReply, served by one engine instance. */
  submit: (model: string, instanceId: string) =>
    `${ROOT}.${modelToken(model)}.instance.${id(instanceId, 'instanceId')}.submit`,
  /** Heartbeat messages of one instance. */
  heartbeat: (model: string, instanceId: string) =>
    `${ROOT}.${modelToken(model)}.instance.${id(instanceId, 'instanceId')}.heartbeat`,
  /** Wildcard: the heartbeats of every instance of a model. */
  allHeartbeats: (model: string) => `${ROOT}.${modelToken(model)}.instance.*.heartbeat`,
  /** KvEventBatch messages of one instance's prefix cache. */
  kvEvents: (model: string, instanceId: string) =>
    `${ROOT}.${modelToken(model)}.kv.events.${id(instanceId, 'instanceId')}`,
  /** Wildcard: the KV events of every instance of a model (the router's cluster view). */
  allKvEvents: (model: string) => `${ROOT}.${modelToken(model)}.kv.events.*`,
  /** TokenBatch messages of one request, publisher (decode instance) -> gateway. */
  stream: (requestId: string) => `${ROOT}.stream.${id(requestId, 'requestId')}`,
  /** Request/reply: StreamReplay -> StreamReplayReply, served by the stream's publisher. */
  streamReplay: (requestId: string) => `${ROOT}.stream.${id(requestId, 'requestId')}.replay`,
  /** Cancel messages for one request. */
  cancel: (requestId: string) => `${ROOT}.cancel.${id(requestId, 'requestId')}`,
  /** Wildcard: every request's Cancel (an instance listens once for all its requests). */
  allCancels: () => `${ROOT}.cancel.*`,
  /** One step of a KV transfer addressed to a kv-connector agent. */
  kvXfer: (agentId: string, op: KvXferOp) => {
    if (!KV_XFER_OPS.has(op)) throw new ServiceError('invalid_request', `unknown KV transfer op ${op}`);
    return `${ROOT}.kv.${id(agentId, 'agentId')}.xfer.${op}`;
  },
  /** SpanSummaryBatch messages: every service's finished spans, for the gateways' status pages. */
  telemetrySpans: () => `${ROOT}.telemetry.spans`,
  /** Wildcard: every KV transfer step addressed to an agent. */
  allKvXfer: (agentId: string) => `${ROOT}.kv.${id(agentId, 'agentId')}.xfer.*`,
  /** The INSTANCE_BUCKET key of one instance. */
  instanceKey: (model: string, instanceId: string) => `${modelToken(model)}.${id(instanceId, 'instanceId')}`,
  /** An INSTANCE_BUCKET key filter: one model's instances, or every instance. */
  instanceKeyFilter: (model?: string) => (model === undefined ? '>' : `${modelToken(model)}.*`),
  /** The model and instance id an INSTANCE_BUCKET key stands for. */
  parseInstanceKey: (key: string): { model: string; instanceId: string } => {
    const parts = key.split('.');
    if (parts.length !== 2) {
      throw new ServiceError(
        'invalid_request',
        `${JSON.stringify(key)} is not an instance key (model.instanceId)`,
      );
    }
    return {
      model: unescapeSubjectToken(parts[0], 'model'),
      instanceId: unescapeSubjectToken(parts[1], 'instanceId'),
    };
  },
} as const;
