import type { KV } from '@nats-io/kv';
import { KV_AGENT_BUCKET, kvAgentSubjects, ServiceError } from '@pdserve/protocol';
import { type NatsClient, openInstanceBucket } from '@pdserve/runtime';
import { type KvAgentInfo, kvAgentInfoCodec } from './agent-messages.js';

/**
 * A kv-connector agent's record in the KV_AGENT_BUCKET (JetStream KV, max_age `ttlMs`): put at
 * start, re-put every third of the TTL with fresh stats, deleted at close. Who reads it: operators
 * and tests (`listKvAgents`); engines find their agent by configured id. Owned by the agent's main.
 */
export class AgentRegistration {
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly kv: KV,
    private readonly info: () => KvAgentInfo,
  ) {}

  /** Opens (or creates) the bucket and puts the first record; ServiceError 'unavailable' if it cannot. */
  static async start(
    client: NatsClient,
    info: () => KvAgentInfo,
    ttlMs = 15_000,
  ): Promise<AgentRegistration> {
    const kv = await openInstanceBucket(client, { ttlMs, bucket: KV_AGENT_BUCKET });
    const reg = new AgentRegistration(kv, info);
    await reg.put();
    reg.timer = setInterval(() => void reg.put().catch(() => {}), Math.max(10, Math.floor(ttlMs / 3)));
    reg.timer.unref();
    return reg;
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.kv.delete(kvAgentSubjects.agentKey(this.info().agentId)).catch(() => {});
  }

  private async put(): Promise<void> {
    const info = this.info();
    try {
      await this.kv.put(kvAgentSubjects.agentKey(info.agentId), kvAgentInfoCodec.encode(info));
    } catch (cause) {
      throw new ServiceError('unavailable', `cannot register kv-connector agent ${info.agentId}`, { cause });
    }
  }
}

/** The agents registered now (records whose TTL has not run out). */
export async function listKvAgents(client: NatsClient): Promise<KvAgentInfo[]> {
  const kv = await openInstanceBucket(client, { ttlMs: 15_000, bucket: KV_AGENT_BUCKET });
  const out: KvAgentInfo[] = [];
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (entry !== null && entry.operation === 'PUT') out.push(kvAgentInfoCodec.decode(entry.value));
  }
  return out;
}
