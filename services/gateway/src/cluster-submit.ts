import {
  type RouteDecision,
  type SubmitReply,
  type SubmitRequest,
  subjects,
  submitReplyCodec,
  submitRequestCodec,
} from '@pdserve/protocol';
import type { NatsClient } from '@pdserve/runtime';
import { ATTR, SPAN } from '@pdserve/telemetry';
import { type ClusterCallOptions, unreachable } from './cluster-route.js';
import type { GenerateRequest } from './serving-backend.js';
import { untraced } from './traced-call.js';

/** A SubmitRequest without what the decision decides (task, instances, transfer parameters). */
export type SubmitBase = Omit<
  SubmitRequest,
  'task' | 'prefillInstanceId' | 'decodeInstanceId' | 'kvTransferParams'
>;

async function submitTo(
  client: NatsClient,
  instanceId: string,
  request: SubmitRequest,
  options: ClusterCallOptions,
): Promise<SubmitReply> {
  try {
    const attributes = { [ATTR.instanceId]: instanceId, [ATTR.task]: request.task };
    return await (options.trace ?? untraced)(SPAN.gatewaySubmit, attributes, (headers) =>
      client.request(
        subjects.submit(request.model, instanceId),
        submitRequestCodec,
        request,
        submitReplyCodec,
        {
          timeoutMs: options.timeoutMs,
          headers,
        },
      ),
    );
  } catch (error) {
    throw unreachable(error, `instance ${instanceId} did not take the request`, options);
  }
}

/**
 * Whether a request must run colocated even when the router chose a pair: the KV hand-over carries
 * the first token but not its logprobs nor the prompt's, and the engine moves one sequence only
 * (n = 1), so such requests run prefill and decode on the decode instance.
 */
export function needsColocated(sampling: GenerateRequest['sampling']): boolean {
  return (sampling.n ?? 1) > 1 || sampling.logprobs != null || sampling.promptLogprobs != null;
}

/**
 * Hands a routed request to its instances and resolves once they accepted it (design §3).
 * Colocated: one submit, task 'both'. Disaggregated: the decode instance first (task 'decode'; it
 * reserves blocks for the prompt and returns them as kvTransferParams), then the prefill
 * instance (task 'prefill', with those parameters, so it sends the prompt's KV there). The decode
 * instance (or the colocated one) publishes the token stream. Rejects with the instance's
 * ServiceError; the caller cancels the request, which frees what an instance already holds.
 */
export async function submitToCluster(
  client: NatsClient,
  decision: RouteDecision,
  base: SubmitBase,
  options: ClusterCallOptions & { colocatedOnly?: boolean },
): Promise<void> {
  const decodeId = decision.decodeInstanceId;
  const prefillId = decision.prefillInstanceId;
  if (decision.mode === 'colocated' || prefillId === undefined || options.colocatedOnly === true) {
    await submitTo(client, decodeId, { ...base, task: 'both', decodeInstanceId: decodeId }, options);
    return;
  }
  const ids = { prefillInstanceId: prefillId, decodeInstanceId: decodeId };
  const decode = await submitTo(
    client,
    decodeId,
    {
      ...base,
      ...ids,
      task: 'decode',
      kvTransferParams: { doRemotePrefill: true, remoteInstanceId: prefillId },
    },
    options,
  );
  await submitTo(
    client,
    prefillId,
    {
      ...base,
      ...ids,
      task: 'prefill',
      kvTransferParams: {
        ...decode.kvTransferParams,
        doRemotePrefill: false,
        doRemoteDecode: true,
        remoteInstanceId: decodeId,
        remoteEpoch: decode.epoch,
      },
    },
    options,
  );
}
