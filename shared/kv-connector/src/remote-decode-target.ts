import type { Request } from '@pdserve/engine';
import { ServiceError } from '@pdserve/protocol';
import type { KvTransferTarget } from './wire-types.js';

/**
 * Where a prefill-side request's blocks go, from its kvTransferParams (the decode side's
 * reservation). Throws ServiceError 'invalid_request' when a field is missing or the block count
 * or token count does not fit the prompt. Called when the prefill engine adds the request.
 */
export function remoteDecodeTarget(request: Request, blockSize: number): KvTransferTarget {
  const p = request.kvTransferParams ?? {};
  const { remoteAgentId, remoteInstanceId, remoteEpoch, remoteBlockIds, transferId, numTokens } = p;
  const need = Math.ceil(request.numPromptTokens / blockSize);
  if (
    remoteAgentId === undefined ||
    remoteInstanceId === undefined ||
    remoteEpoch === undefined ||
    transferId === undefined ||
    remoteBlockIds?.length !== need ||
    numTokens !== request.numPromptTokens
  ) {
    throw new ServiceError(
      'invalid_request',
      `request ${request.requestId}: kvTransferParams for remote decode need remoteAgentId, remoteInstanceId, ` +
        `remoteEpoch, transferId, ${need} remoteBlockIds and numTokens ${request.numPromptTokens}`,
      { param: 'kvTransferParams' },
    );
  }
  return {
    agentId: remoteAgentId,
    instanceId: remoteInstanceId,
    instanceEpoch: remoteEpoch,
    blockIds: remoteBlockIds,
    numTokens,
  };
}
