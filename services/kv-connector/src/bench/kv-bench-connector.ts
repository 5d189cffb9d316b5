import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AgentLink, type KvTransferNotice, NatsKvBus } from '@pdserve/kv-connector';
import { KvPool } from '@pdserve/native';
import { NatsClient, silentLogger } from '@pdserve/runtime';
import { ManagedProcess } from '@pdserve/testing';
import {
  BLOCK_SIZE,
  type KvBenchPoint,
  type KvShape,
  kvBytes,
  poolLayout,
  repeats,
} from './kv-bench-plan.js';

const AGENT_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/** How the two agents move data: the ucx transport over `tls`, or NATS chunks only. */
export interface ConnectorPath {
  transport: 'ucx' | 'nats';
  tls?: string;
}

/** Waits for transfer notices by transfer id and outcome. */
class Notices {
  private readonly waiting = new Map<string, (n: KvTransferNotice) => void>();
  on = (n: KvTransferNotice): void => {
    this.waiting.get(`${n.transferId}/${n.outcome}`)?.(n);
    if (n.outcome === 'failed') this.waiting.get(`${n.transferId}/committed`)?.(n);
    if (n.outcome === 'failed') this.waiting.get(`${n.transferId}/sent`)?.(n);
  };
  wait(transferId: string, outcome: 'committed' | 'sent'): Promise<KvTransferNotice> {
    return new Promise((resolve) => this.waiting.set(`${transferId}/${outcome}`, resolve));
  }
}

/**
 * The connector's throughput between two kv-connector agents run as child processes (the real
 * service, `--transport ucx` with UCX_TLS=`tls`, or `--transport nats`), over a nats-server at
 * `natsUrl`: this process plays the prefill and decode engines (a KvPool each, attached to
 * its agent), opens each transfer at the decode agent and hands every block to the prefill agent
 * in one `finish`; latency runs from that hand-over to the decode side's `committed` notice
 * (all block checksums verified there).
 */
export async function measureConnector(
  natsUrl: string,
  path: ConnectorPath,
  shapes: readonly KvShape[],
  tokens: readonly number[],
  budgetBytes: number,
  log: (line: string) => void,
): Promise<KvBenchPoint[]> {
  const env = { ...process.env, ...(path.tls === undefined ? {} : { UCX_TLS: path.tls }) };
  const agents = await Promise.all(
    ['bench-agent-p', 'bench-agent-d'].map(async (id) => {
      const args = [AGENT_MAIN, '--nats.servers', natsUrl, '--agent-id', id, '--transport', path.transport];
      const proc = await ManagedProcess.start({
        name: id,
        command: process.execPath,
        args: [...args, '--no-register'],
        env,
      });
      await proc.waitForOutput(/"ready":true/, 30_000);
      return proc;
    }),
  );
  const client = await NatsClient.connect({ servers: natsUrl, name: 'kv-bench', logger: silentLogger });
  const bus = new NatsKvBus(client);
  const points: KvBenchPoint[] = [];
  try {
    // Each shape attaches fresh pools as a new run (epoch) of the P and D instances, as a restarted engine would.
    for (const [i, shape] of shapes.entries())
      points.push(...(await measureShape(bus, shape, i + 1, tokens, budgetBytes, log)));
  } finally {
    await client.close();
    await Promise.all(agents.map((a) => a.stop()));
  }
  return points;
}

async function measureShape(
  bus: NatsKvBus,
  shape: KvShape,
  epoch: number,
  tokens: readonly number[],
  budgetBytes: number,
  log: (line: string) => void,
): Promise<KvBenchPoint[]> {
  const layout = poolLayout(shape, Math.max(...tokens));
  const src = new KvPool(layout);
  const dst = new KvPool(layout);
  const notices = new Notices();
  const link = (agentId: string, instanceId: string) =>
    new AgentLink({
      bus,
      agentId,
      instanceId,
      instanceEpoch: epoch,
      leaseMs: 30_000,
      requestTimeoutMs: 30_000,
      onNotice: notices.on,
      onAgentLost: () => {},
    });
  const p = link('bench-agent-p', 'P');
  const d = link('bench-agent-d', 'D');
  try {
    fillRandom(new Uint8Array(src.buffer()));
    new Uint8Array(dst.buffer()).fill(1); // touch the pages once, outside the timing
    const hs = (instanceId: string, agentId: string): Parameters<AgentLink['attach']>[1] => ({
      instanceId,
      epoch,
      agentId,
      modelFingerprint: `bench-${shape.name}`,
      hashSeed: 'bench',
      blockSize: BLOCK_SIZE,
      kvLayout: {
        dtype: 'f32',
        numLayers: shape.layers,
        numKvHeads: shape.kvHeads,
        headDim: shape.headDim,
        blockBytes: src.blockBytes,
        order: 'block-major',
      },
    });
    await p.attach(src, hs('P', 'bench-agent-p'));
    await d.attach(dst, hs('D', 'bench-agent-d'));
    const once = async (n: number): Promise<number> => {
      const transferId = randomUUID();
      const blockIds = [...Array(n).keys()];
      await d.open({ transferId, requestId: transferId, blockIds, numTokens: n * BLOCK_SIZE });
      const committed = notices.wait(transferId, 'committed');
      const sent = notices.wait(transferId, 'sent');
      const t0 = performance.now();
      const target = {
        agentId: 'bench-agent-d',
        instanceId: 'D',
        instanceEpoch: epoch,
        blockIds,
        numTokens: n * BLOCK_SIZE,
      };
      await p.stage('finish', {
        transferId,
        requestId: transferId,
        target,
        firstIndex: 0,
        srcBlockIds: blockIds,
        numBlocks: n,
        decodeState: { outputTokenIds: [1], rngState: [1, 2, 3, 4] },
      });
      const done = await committed;
      const ms = performance.now() - t0;
      if (done.outcome !== 'committed') throw new Error(`transfer failed: ${done.error?.message}`);
      await sent;
      return ms;
    };
    const points: KvBenchPoint[] = [];
    for (const t of tokens) {
      const n = t / BLOCK_SIZE;
      const bytes = kvBytes(shape, t);
      await once(n); // warm-up: connection, registrations, first touch
      const transfers = repeats(bytes, budgetBytes, 1);
      let total = 0;
      for (let i = 0; i < transfers; i++) total += await once(n);
      points.push({
        shape: shape.name,
        tokens: t,
        bytes,
        transfers,
        gbps: (bytes * transfers) / total / 1e6,
        latencyMs: total / transfers,
      });
      log(`  ${shape.name} ${t} tokens: ${((bytes * transfers) / total / 1e6).toFixed(2)} GB/s`);
    }
    return points;
  } finally {
    await p.close();
    await d.close();
    src.close();
    dst.close();
  }
}

/** Fills with a cheap pseudo-random pattern (xorshift32 words), so checksums see real bytes. */
function fillRandom(bytes: Uint8Array): void {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
}
