import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { KvPool, type KvPoolLayout } from './kv-pool.js';
import { blockRanges, type UcxEndpoint, UcxError, type UcxRange, UcxWorker } from './ucx.js';
import { parseEndpointInfo } from './ucx-endpoint.js';
import { fillPattern, hashRanges, UcxPeerProcess } from './ucx-peer-client.js';

// 128 blocks of 128 KiB (4 layers x 4 kv heads x 64 dims, f32): 16 MiB per pool.
const layout: KvPoolLayout = {
  numBlocks: 128,
  blockSize: 16,
  layers: 4,
  kvHeads: 4,
  headDim: 64,
  dtype: 'f32',
};
const BLOCK = 16 * 4 * 2 * 4 * 64 * 4;

/** The transports under test: shared memory (no UCX peer error mode in 1.13: pidfd instead) and TCP. */
const transports = [
  { name: 'shared memory', config: { TLS: 'posix,sysv,cma,self' }, errorMode: 'none' as const },
  { name: 'tcp', config: { TLS: 'tcp' }, errorMode: 'peer' as const },
];

async function rejectsWith(p: Promise<unknown>, codes: string[]): Promise<UcxError> {
  const e = await p.then(
    () => assert.fail('expected a UcxError'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof UcxError, `expected a UcxError, got ${String(e)}`);
  assert.ok(codes.includes(e.code), `expected ${codes.join('|')}, got ${e.code}: ${e.message}`);
  return e;
}

test('blockRanges merges runs consecutive on both sides', () => {
  assert.deepEqual(blockRanges([3, 4, 5, 9], [0, 1, 7, 8], 10), [
    { localOffset: 30, remoteOffset: 0, bytes: 20 },
    { localOffset: 50, remoteOffset: 70, bytes: 10 },
    { localOffset: 90, remoteOffset: 80, bytes: 10 },
  ]);
  assert.throws(() => blockRanges([1], [], 10), RangeError);
});

test('parseEndpointInfo reads the lanes of ucp_ep_print_info', () => {
  const text = [
    '#                 lane[0]:  1:sysv/memory.0 md[1]           -> md[1]/sysv/sysdev[255] am am_bw#0',
    '#                 lane[1]:  7:tcp/lo.0 md[4]                -> md[4]/tcp/sysdev[255] rma_bw#1 wireup',
  ].join('\n');
  const info = parseEndpointInfo(text);
  assert.deepEqual(info.transports, ['sysv/memory', 'tcp/lo']);
  assert.deepEqual(info.lanes[1], { transport: 'tcp', device: 'lo', usage: ['rma_bw#1', 'wireup'] });
});

describe('UcxWorker in one process', () => {
  test('recvTag times out, aborts, and a closed worker cancels', async () => {
    const w = UcxWorker.create({ config: { TLS: 'self,posix' } });
    const t0 = performance.now();
    await rejectsWith(w.recvTag(7n, { timeoutMs: 50 }), ['TIMEOUT']);
    assert.ok(performance.now() - t0 < 2000);
    const ac = new AbortController();
    const r = w.recvTag(8n, { signal: ac.signal, timeoutMs: 10_000 });
    ac.abort();
    await rejectsWith(r, ['CANCELED']);
    const pending = rejectsWith(w.recvTag(9n, { timeoutMs: 10_000 }), ['CANCELED']);
    await w.close();
    await pending;
    await rejectsWith(w.recvTag(9n), ['CANCELED']);
  });

  test('a foreign descriptor or a range past the remote region is RKEY_MISMATCH; a wrong length is IO', async () => {
    const a = UcxWorker.create({ config: { TLS: 'tcp' } });
    const b = UcxWorker.create({ config: { TLS: 'tcp' } });
    const pa = new KvPool(layout);
    const pb = new KvPool({ ...layout, numBlocks: 4 });
    try {
      const [ma, mb] = await Promise.all([a.register(pa), b.register(pb)]);
      const ep = await a.connect(b.address);
      await rejectsWith(ep.importMemory(new Uint8Array(40).fill(1)), ['RKEY_MISMATCH']);
      const remote = await ep.importMemory(mb.descriptor);
      assert.equal(remote.bytes, 4 * BLOCK);
      await rejectsWith(ep.put(ma, remote, [{ localOffset: 0, remoteOffset: 3 * BLOCK, bytes: 2 * BLOCK }]), [
        'RKEY_MISMATCH',
      ]);
      assert.throws(
        () => ep.put(ma, remote, [{ localOffset: pa.bytes, remoteOffset: 0, bytes: 1 }]),
        RangeError,
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
      pa.close();
      pb.close();
    }
  });
});

for (const t of transports) {
  describe(`two processes over ${t.name}`, () => {
    // One endpoint per pair of workers for their whole life: UCX pairs the endpoints two
    // workers create to each other by sequence number, so close-and-reconnect is avoided.
    let peer: UcxPeerProcess;
    let worker: UcxWorker;
    let pool: KvPool;
    let ep: UcxEndpoint;
    before(async () => {
      peer = await UcxPeerProcess.spawn(layout, t.config);
      worker = UcxWorker.create({ config: t.config, timeoutMs: 10_000 });
      pool = new KvPool(layout);
      ep = await worker.connect(peer.hello.address, { errorMode: t.errorMode, peerPid: peer.hello.pid });
      await peer.request({
        cmd: 'connect',
        address: b64(worker.address),
        errorMode: t.errorMode,
        peerPid: process.pid,
      });
    });
    after(async () => {
      await ep.close();
      await peer.kill();
      await worker.close();
      pool.close();
    });

    test('put and get move block ranges intact', async () => {
      const region = new Uint8Array(pool.buffer());
      fillPattern(region, 11);
      const mem = await worker.register(pool);
      const info = await ep.info();
      assert.ok(info.transports.length > 0, info.text);
      const expect = t.name === 'tcp' ? /^tcp\// : /^(posix|sysv)\//;
      assert.ok(
        info.transports.every((x) => expect.test(x) || x.startsWith('self/')),
        info.transports.join(),
      );
      const remote = await ep.importMemory(peer.hello.descriptor);
      const ranges: UcxRange[] = blockRanges([0, 1, 2, 40, 77, 78, 127], [5, 6, 7, 100, 3, 4, 0], BLOCK);
      await ep.put(mem, remote, ranges);
      const theirs = await peer.request<{ hash: string }>({ cmd: 'hash', ranges, side: 'remote' });
      assert.equal(theirs.hash, hashRanges(region, ranges, 'local'));

      await peer.request({ cmd: 'fill', seed: 99 });
      const back = blockRanges([10, 11, 12], [50, 51, 90], BLOCK);
      await ep.get(mem, remote, back);
      const src = await peer.request<{ hash: string }>({ cmd: 'hash', ranges: back, side: 'remote' });
      assert.equal(hashRanges(region, back, 'local'), src.hash);
      await mem.close();
    });

    test('sendFrom / recvInto move a range of a pool without a copy', async () => {
      const region = new Uint8Array(pool.buffer());
      fillPattern(region, 23);
      const mem = await worker.register(pool);
      const span: UcxRange = { localOffset: 3 * BLOCK, remoteOffset: 70 * BLOCK, bytes: 5 * BLOCK };
      const landed = peer.request({
        cmd: 'recv-into',
        tag: '300',
        offset: span.remoteOffset,
        bytes: span.bytes,
        count: 1,
      });
      await ep.sendFrom(300n, mem, span.localOffset, span.bytes);
      await landed;
      const theirs = await peer.request<{ hash: string }>({ cmd: 'hash', ranges: [span], side: 'remote' });
      assert.equal(theirs.hash, hashRanges(region, [span], 'local'));
      await mem.close();
    });

    test('tag messages go both ways', async () => {
      const echoed = peer.request<{ bytes: number }>({ cmd: 'echo', tag: '4096' });
      const reply = worker.recvTag(4097n);
      const msg = new TextEncoder().encode('reserve blocks 1..8');
      await ep.sendTag(4096n, msg);
      const got = await reply;
      assert.equal(got.tag, 4097n);
      assert.deepEqual(Buffer.from(got.data), Buffer.from(msg));
      assert.equal((await echoed).bytes, msg.byteLength);
    });

    test('a cancelled receive into a pool settles only once nothing more writes its range', async () => {
      // Cancelled at varying moments: before the message matched (CANCELED at once), while its
      // bytes are being pulled (UCX finishes them first), or after it landed. In every case the
      // range must not change once the receive settled: the caller frees those blocks then.
      const region = new Uint8Array(pool.buffer());
      const mem = await worker.register(pool);
      const bytes = 60 * BLOCK;
      const outcomes = new Set<string>();
      for (let round = 0; round < 12; round++) {
        region.fill(0);
        await peer.request({ cmd: 'fill', seed: 40 + round });
        const tag = BigInt(6000 + round);
        const abort = new AbortController();
        const recv = worker.recvInto(tag, mem, 0, bytes, { signal: abort.signal });
        const sent = peer.request({ cmd: 'send-from', tag: String(tag), offset: 0, bytes });
        await new Promise((r) => setTimeout(r, round / 2)); // the moment of the cancel, not a wait for an event
        abort.abort();
        outcomes.add(
          await recv.then(
            () => 'landed',
            (e: unknown) => (e instanceof UcxError ? e.code : String(e)),
          ),
        );
        const settled = Buffer.from(region.subarray(0, bytes));
        // A send the cancelled receive never matched lands here instead, past the range.
        const drainAbort = new AbortController();
        const drain = worker.recvInto(tag, mem, 64 * BLOCK, bytes, { signal: drainAbort.signal });
        await sent;
        drainAbort.abort();
        await drain.catch(() => {});
        assert.ok(
          Buffer.from(region.subarray(0, bytes)).equals(settled),
          `round ${round}: written after it settled`,
        );
      }
      assert.ok(
        [...outcomes].every((o) => o === 'landed' || o === 'CANCELED'),
        [...outcomes].join(),
      );
      await mem.close();
    });
  });

  test(`over ${t.name}: killing the peer mid-put fails the put within a bound`, async () => {
    const big: KvPoolLayout = { ...layout, numBlocks: 2048 }; // 256 MiB
    const peer = await UcxPeerProcess.spawn(big, t.config);
    const worker = UcxWorker.create({ config: t.config });
    const pool = new KvPool(big);
    try {
      const mem = await worker.register(pool);
      const ep = await worker.connect(peer.hello.address, {
        errorMode: t.errorMode,
        peerPid: peer.hello.pid,
      });
      const remote = await ep.importMemory(peer.hello.descriptor);
      const t0 = performance.now();
      const put = ep.put(mem, remote, [{ localOffset: 0, remoteOffset: 0, bytes: pool.bytes }], {
        timeoutMs: 5000,
      });
      peer.child.kill('SIGKILL');
      await rejectsWith(put, ['PEER_GONE', 'TIMEOUT']);
      assert.ok(performance.now() - t0 < 6000, `took ${performance.now() - t0} ms`);
      await rejectsWith(ep.sendTag(1n, new Uint8Array(8), { timeoutMs: 5000 }), ['PEER_GONE']);
      await ep.close();
    } finally {
      await peer.kill();
      await worker.close();
      pool.close();
    }
  });

  for (const how of ['return', 'process.exit'] as const) {
    test(`over ${t.name}: a peer that exits (${how}) with live endpoints exits with code 0`, async () => {
      const peer = await UcxPeerProcess.spawn(layout, t.config);
      const worker = UcxWorker.create({ config: t.config });
      try {
        const ep = await worker.connect(peer.hello.address, {
          errorMode: t.errorMode,
          peerPid: peer.hello.pid,
        });
        await peer.request({
          cmd: 'connect',
          address: b64(worker.address),
          errorMode: t.errorMode,
          peerPid: process.pid,
        });
        if (how === 'process.exit') await peer.request({ cmd: 'pending-recv', tag: '77' });
        await ep.sendTag(5n, new Uint8Array(16)); // unmatched at the peer: still queued there
        await peer.request({ cmd: 'exit', how, close: false });
        assert.equal(await peer.exited, 0, peer.stderr);
        assert.doesNotMatch(peer.stderr, /Segmentation|Aborted|core dumped/);
      } finally {
        await peer.kill();
        await worker.close();
      }
    });
  }
}

test('a script that never closes its worker or endpoint exits on its own', async () => {
  const code = `
    import { UcxWorker } from ${JSON.stringify(new URL('./index.js', import.meta.url).href)};
    const a = UcxWorker.create({ config: { TLS: 'tcp' } });
    const b = UcxWorker.create({ config: { TLS: 'tcp' } });
    const ep = await a.connect(b.address);
    await ep.sendTag(1n, new Uint8Array(4));
    console.log('done');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  assert.equal(exitCode, 0, out);
  assert.match(out, /done/);
});

function b64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64');
}
