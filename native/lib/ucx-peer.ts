/**
 * A UCX peer process for the two-process tests and the bandwidth bench: creates a KvPool and a
 * UcxWorker, registers the pool, prints `{pid, address, descriptor}` as one JSON line, then
 * answers JSON-line commands on stdin (see PeerCommand). Started by UcxPeerProcess.spawn.
 *
 * argv[2]: JSON {layout: KvPoolLayout, config: UCX config, timeoutMs?}
 */
import { createInterface } from 'node:readline';
import { KvPool, type KvPoolLayout } from './kv-pool.js';
import { type UcxEndpoint, UcxError, UcxWorker } from './ucx.js';
import { fillPattern, hashRanges, type PeerCommand } from './ucx-peer-client.js';

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as {
    layout: KvPoolLayout;
    config: Record<string, string>;
    timeoutMs?: number;
  };
  const pool = new KvPool(opts.layout);
  const worker = UcxWorker.create({ config: opts.config, timeoutMs: opts.timeoutMs ?? 10_000 });
  const memory = await worker.register(pool);
  const region = new Uint8Array(pool.buffer());
  let ep: UcxEndpoint | undefined;
  const reply = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  reply({
    pid: process.pid,
    poolName: pool.name,
    address: Buffer.from(worker.address).toString('base64'),
    descriptor: Buffer.from(memory.descriptor).toString('base64'),
  });
  const handle = async (c: PeerCommand): Promise<object | 'exit'> => {
    switch (c.cmd) {
      case 'fill':
        fillPattern(region, c.seed);
        return {};
      case 'hash':
        return { hash: hashRanges(region, c.ranges, c.side) };
      case 'connect':
        ep = await worker.connect(Buffer.from(c.address, 'base64'), {
          errorMode: c.errorMode,
          peerPid: c.peerPid,
        });
        return { transports: (await ep.info()).transports };
      case 'put': {
        if (!ep) throw new Error('put before connect');
        const remote = await ep.importMemory(Buffer.from(c.descriptor, 'base64'));
        for (let i = 0; i < c.repeat; i++) await ep.put(memory, remote, c.ranges);
        return {};
      }
      case 'echo': {
        const m = await worker.recvTag(BigInt(c.tag));
        if (!ep) throw new Error('echo before connect');
        await ep.sendTag(m.tag + 1n, m.data);
        return { bytes: m.data.byteLength };
      }
      case 'recv-into':
        for (let i = 0; i < c.count; i++) await worker.recvInto(BigInt(c.tag), memory, c.offset, c.bytes);
        return {};
      case 'send-from':
        if (!ep) throw new Error('send-from before connect');
        await ep.sendFrom(BigInt(c.tag), memory, c.offset, c.bytes);
        return {};
      case 'pending-recv':
        worker.recvTag(BigInt(c.tag), { timeoutMs: 60_000 }).catch(() => {});
        return {};
      case 'exit':
        if (c.close) await worker.close();
        if (c.how === 'process.exit') {
          reply({});
          process.exit(0);
        }
        return 'exit';
    }
  };
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    try {
      const out = await handle(JSON.parse(line) as PeerCommand);
      if (out === 'exit') {
        reply({});
        lines.close();
        process.stdin.destroy();
        return; // leaves the worker, endpoint and pool open: exit must still be clean
      }
      reply(out);
    } catch (e) {
      reply({
        error: e instanceof Error ? e.message : String(e),
        code: e instanceof UcxError ? e.code : undefined,
      });
    }
  }
}

await main();
