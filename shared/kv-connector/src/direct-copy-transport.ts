import { ServiceError } from '@pdserve/protocol';
import { transferError } from './kv-connector-errors.js';
import type { KvBlockSink, KvSendJob, KvTransport } from './kv-transport.js';
import type { TransportTestFaults } from './transport-test-faults.js';
import type { KvPeerRef } from './wire-types.js';

/** The agents of one process that DirectCopyTransports reach: agent id -> its run and sink. */
export class DirectCopyRegistry {
  readonly agents = new Map<string, { self: KvPeerRef; sink: KvBlockSink }>();
}

/**
 * The in-memory data path (the test double, and a rehearsal of UCX's RMA put): the sender copies
 * each block straight into the receiver's target view (the decode pool's memory) through a
 * registry of the agents in this process. Nothing acknowledges a block: a lost or damaged one is
 * found by the receiver's crc check at commit and sent again, as it would be after an RMA put.
 */
export class DirectCopyTransport implements KvTransport {
  readonly kind = 'in-memory' as const;
  private self: KvPeerRef | null = null;

  constructor(
    private readonly registry: DirectCopyRegistry,
    private readonly testFaults: TransportTestFaults | null = null,
  ) {}

  listen(self: KvPeerRef, sink: KvBlockSink): void {
    this.self = self;
    this.registry.agents.set(self.agentId, { self, sink });
  }

  async send(job: KvSendJob): Promise<undefined> {
    for (const item of job.items) {
      if (job.signal.aborted) throw transferError('aborted', job.transferId, 'cancelled');
      const attempt = 1;
      const action =
        (await this.testFaults?.before({ transferId: job.transferId, seq: item.index, attempt })) ??
        'deliver';
      if (job.signal.aborted) throw transferError('aborted', job.transferId, 'cancelled');
      const peer = this.registry.agents.get(job.to.agentId);
      if (peer === undefined || peer.self.epoch !== job.to.epoch)
        throw new ServiceError('unavailable', `agent ${job.to.agentId} epoch ${job.to.epoch} is gone`);
      const target = peer.sink.targetBlock(job.transferId, job.from, item.index);
      if (action === 'drop') continue;
      target.set(item.bytes);
      if (action === 'corrupt') target[target.length >> 1] ^= 0x5a;
    }
    return undefined;
  }

  close(): void {
    if (this.self !== null && this.registry.agents.get(this.self.agentId)?.self === this.self) {
      this.registry.agents.delete(this.self.agentId);
    }
    this.self = null;
  }
}
