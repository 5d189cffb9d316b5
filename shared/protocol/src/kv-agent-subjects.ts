import { ServiceError } from './service-error.js';
import { escapeSubjectToken } from './subject-token.js';

/**
 * Requests an engine instance's kv-connector sends to the agent on its host (engine -> agent):
 * `attach` (announce the shm KV pool and its layout), `detach`, `renew` (the instance's lease),
 * `open` (decode side: expect a transfer into reserved blocks), `stage` / `finish` (prefill side:
 * hand blocks, then the rest and the decode state, to a transfer), `cancel`, and `info` (who the
 * agent is: id, epoch, host, transports).
 */
export type KvAgentOp = 'attach' | 'detach' | 'renew' | 'open' | 'stage' | 'finish' | 'cancel' | 'info';

const KV_AGENT_OPS: ReadonlySet<string> = new Set<KvAgentOp>([
  'attach',
  'detach',
  'renew',
  'open',
  'stage',
  'finish',
  'cancel',
  'info',
]);

const id = (value: string, what: string) => escapeSubjectToken(value, what);

/** The NATS KV bucket where each live kv-connector agent keeps its KvAgentInfo (key: agentKey). */
export const KV_AGENT_BUCKET = 'pdserve-kv-agents';

/**
 * The subjects between engine instances and their kv-connector agent (agent <-> agent steps are
 * `subjects.kvXfer`). Same escaping and errors as `subjects`.
 */
export const kvAgentSubjects = {
  /** Request/reply: one engine -> agent request (see KvAgentOp). */
  op: (agentId: string, op: KvAgentOp) => {
    if (!KV_AGENT_OPS.has(op)) throw new ServiceError('invalid_request', `unknown KV agent op ${op}`);
    return `pdserve.kv.${id(agentId, 'agentId')}.agent.${op}`;
  },
  /** Wildcard: every engine -> agent request addressed to an agent. */
  allOps: (agentId: string) => `pdserve.kv.${id(agentId, 'agentId')}.agent.*`,
  /** The KV_AGENT_BUCKET key of one agent. */
  agentKey: (agentId: string) => id(agentId, 'agentId'),
  /** Agent -> engine: transfer outcomes (sent, committed, failed) for one instance. */
  notice: (agentId: string, instanceId: string) =>
    `pdserve.kv.${id(agentId, 'agentId')}.notice.${id(instanceId, 'instanceId')}`,
} as const;
