import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { KvPool } from '@pdserve/native';
import type { KvTransferNotice } from './agent-messages.js';
import { InboundTransfers } from './inbound-transfers.js';
import type { PoolAttachment } from './pool-attachments.js';

describe('InboundTransfers: the sender lease', () => {
  const pool = new KvPool({ numBlocks: 4, blockSize: 16, layers: 1, kvHeads: 1, headDim: 8, dtype: 'f32' });
  after(() => pool.close());
  const attachment = {
    instanceId: 'decode-0',
    instanceEpoch: 1,
    pool,
    leaseMs: 10_000,
    expiresAt: Number.POSITIVE_INFINITY,
  } as PoolAttachment;
  const sender = { agentId: 'agent-p', epoch: 7 };

  /** A receiver whose own lease is 100 ms, with one transfer reserved at t = 0 (`leaseMs` stated or not). */
  function reserved(leaseMs: number | undefined): { inbound: InboundTransfers; failed: KvTransferNotice[] } {
    const failed: KvTransferNotice[] = [];
    const inbound = new InboundTransfers((_, n) => failed.push(n), 100);
    inbound.open(
      {
        instanceId: 'decode-0',
        instanceEpoch: 1,
        transferId: 't',
        requestId: 'r',
        blockIds: [0, 1],
        numTokens: 20,
      },
      attachment,
      0,
    );
    inbound.reserve(
      {
        transferId: 't',
        from: sender,
        toEpoch: 1,
        targetInstanceId: 'decode-0',
        targetEpoch: 1,
        numBlocks: 2,
        blockBytes: pool.blockBytes,
        ...(leaseMs === undefined ? {} : { leaseMs }),
      },
      0,
    );
    return { inbound, failed };
  }

  it("holds a sender to the lease it stated, not the receiver's own", async () => {
    const { inbound, failed } = reserved(1000);
    inbound.sweep(500); // past the receiver's 100 ms, within the sender's 1000
    assert.equal(inbound.size, 1);
    assert.deepEqual(inbound.renew(sender, ['t'], 900, 1000), []);
    inbound.sweep(1800);
    assert.equal(inbound.size, 1, 'renewed at 900 for 1000 ms');
    inbound.sweep(1901);
    assert.equal(inbound.size, 0);
    await new Promise(setImmediate); // the notice follows the transport's quiesce
    assert.equal(failed.length, 1);
    assert.match(failed[0]?.error?.message ?? '', /lease of sender agent agent-p expired/);
  });

  it("falls back to the receiver's lease for a sender that states none", () => {
    const { inbound } = reserved(undefined);
    inbound.sweep(99);
    assert.equal(inbound.size, 1);
    inbound.sweep(101);
    assert.equal(inbound.size, 0);
  });
});
