import { type InstanceInfo, type InstanceRole, ServiceError, type SubmitRequest } from '@pdserve/protocol';

/** The tasks an instance in each role takes. */
const TASKS: Record<InstanceRole, readonly InstanceRole[]> = {
  prefill: ['prefill', 'both'],
  decode: ['decode', 'both'],
  both: ['prefill', 'decode', 'both'],
};

/**
 * Refuses a SubmitRequest this instance cannot take, with the ServiceError the gateway should
 * see: another model ('model_not_found'), a task its role does not do, or a disaggregated task
 * without a KV connector ('unavailable', so the gateway may retry elsewhere), or transfer
 * parameters that do not match the task ('invalid_request').
 */
export function checkSubmit(request: SubmitRequest, info: InstanceInfo, hasConnector: boolean): void {
  if (request.model !== info.model) {
    throw new ServiceError(
      'model_not_found',
      `instance ${info.id} serves ${info.model}, not ${request.model}`,
    );
  }
  if (!TASKS[info.role].includes(request.task)) {
    throw new ServiceError(
      'unavailable',
      `instance ${info.id} (${info.role}) does not take '${request.task}' tasks`,
      {
        retryAfterS: 1,
      },
    );
  }
  if (request.task === 'both') return;
  if (!hasConnector) {
    throw new ServiceError(
      'unavailable',
      `instance ${info.id} has no KV connector for a '${request.task}' task`,
      {
        retryAfterS: 1,
      },
    );
  }
  const params = request.kvTransferParams;
  const ok = request.task === 'decode' ? params?.doRemotePrefill === true : params?.doRemoteDecode === true;
  if (!ok) {
    const flag = request.task === 'decode' ? 'doRemotePrefill' : 'doRemoteDecode';
    throw new ServiceError('invalid_request', `a '${request.task}' task needs kvTransferParams.${flag}`);
  }
}
