import type { InstanceInfo } from '@pdserve/protocol';

/**
 * Whether `prefill` can hand its KV blocks to `decode`: the same model weights, hash seed, block
 * size and pool layout, and a transport both kv-connector agents speak (an instance without an
 * agent speaks none). The kv-connector's handshake checks the same before any transfer.
 */
export function kvCompatible(prefill: InstanceInfo, decode: InstanceInfo): boolean {
  if (prefill.modelFingerprint !== decode.modelFingerprint) return false;
  if (prefill.hashSeed !== decode.hashSeed || prefill.blockSize !== decode.blockSize) return false;
  const a = prefill.kvLayout;
  const b = decode.kvLayout;
  const sameLayout =
    a.dtype === b.dtype &&
    a.numLayers === b.numLayers &&
    a.numKvHeads === b.numKvHeads &&
    a.headDim === b.headDim &&
    a.blockBytes === b.blockBytes &&
    a.order === b.order;
  if (!sameLayout) return false;
  return prefill.kvConnector.transports.some((t) => decode.kvConnector.transports.includes(t));
}
