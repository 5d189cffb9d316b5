import { type KvXferOp, type MessageCodec, ServiceError, subjects } from '@pdserve/protocol';
import { kvAckCodec } from './agent-messages.js';
import type { InboundTransfers } from './inbound-transfers.js';
import type { KvBus, KvBusSubscription } from './kv-bus.js';
import { KvHandshakeMismatchError } from './kv-connector-errors.js';
import type { KvTransport } from './kv-transport.js';
import type { PoolAttachments } from './pool-attachments.js';
import type { KvHandshakeMetadata, KvPeerRef } from './wire-types.js';
import {
  type KvHandshake,
  kvCommitCodec,
  kvCommitReplyCodec,
  kvEndCodec,
  kvHandshakeCodec,
  kvHandshakeReplyCodec,
  kvRenewCodec,
  kvRenewReplyCodec,
  kvReserveCodec,
} from './xfer-messages.js';

/**
 * Serves the agent <-> agent steps addressed to `self` (the receiving side; `chunk` is served by
 * the transport). Every step but `abort` must name this run's epoch. Returns the subscriptions.
 */
export function serveXfer(
  bus: KvBus,
  self: KvPeerRef,
  inbound: InboundTransfers,
  attachments: PoolAttachments,
  transport: KvTransport,
): KvBusSubscription[] {
  const serve = <Req, Res>(
    op: KvXferOp,
    req: MessageCodec<Req>,
    res: MessageCodec<Res>,
    h: (m: Req) => Res | Promise<Res>,
  ) => bus.serve(subjects.kvXfer(self.agentId, op), req, res, h);
  const epochOk = (toEpoch: number) => {
    if (toEpoch !== self.epoch)
      throw new ServiceError(
        'unavailable',
        `agent ${self.agentId} restarted: epoch ${self.epoch}, not ${toEpoch}`,
      );
  };
  return [
    serve('handshake', kvHandshakeCodec, kvHandshakeReplyCodec, async (m) => {
      const target = attachments.require(m.targetInstanceId, m.targetEpoch);
      compareHandshake(m, target.handshake);
      const ucx = await transport.offer?.(target);
      return {
        agentId: self.agentId,
        epoch: self.epoch,
        transports: [...(transport.kinds ?? [transport.kind])],
        maxMessageBytes: bus.maxPayload,
        ...(ucx === undefined ? {} : { ucx }),
      };
    }),
    serve('reserve', kvReserveCodec, kvAckCodec, (m) => {
      epochOk(m.toEpoch);
      inbound.reserve(m, Date.now());
      return { known: true };
    }),
    serve('commit', kvCommitCodec, kvCommitReplyCodec, (m) => {
      epochOk(m.toEpoch);
      return inbound.commit(m);
    }),
    serve('abort', kvEndCodec, kvAckCodec, (m) => ({ known: inbound.abort(m.transferId, m.from, m.reason) })),
    serve('release', kvEndCodec, kvAckCodec, (m) => {
      epochOk(m.toEpoch);
      return { known: inbound.release(m.transferId, m.from) };
    }),
    serve('renew', kvRenewCodec, kvRenewReplyCodec, (m) => {
      epochOk(m.toEpoch);
      return { unknown: inbound.renew(m.from, m.transferIds, Date.now(), m.leaseMs) };
    }),
  ];
}

/** The facts a handshake compares, with how to read each from the metadata. */
const FACTS: [string, (m: KvHandshakeMetadata) => string | number][] = [
  ['model fingerprint', (m) => m.modelFingerprint],
  ['block size', (m) => m.blockSize],
  ['prefix-cache hash seed', (m) => m.hashSeed],
  ['KV dtype', (m) => m.kvLayout.dtype],
  ['KV layout order', (m) => m.kvLayout.order],
  ['number of layers', (m) => m.kvLayout.numLayers],
  ['number of KV heads', (m) => m.kvLayout.numKvHeads],
  ['head dimension', (m) => m.kvLayout.headDim],
  ['bytes per block', (m) => m.kvLayout.blockBytes],
];

/** Throws KvHandshakeMismatchError naming the first fact in which the two instances differ. */
export function compareHandshake(m: KvHandshake, target: KvHandshakeMetadata): void {
  for (const [name, read] of FACTS) {
    const a = read(m.source);
    const b = read(target);
    if (a === b) continue;
    throw new KvHandshakeMismatchError(
      `KV handshake refused: instance ${m.source.instanceId} and instance ${target.instanceId} differ in ` +
        `${name} (${JSON.stringify(a)} vs ${JSON.stringify(b)}); their KV blocks cannot be exchanged`,
    );
  }
}
