import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { cancelCodec } from './cancel.js';
import { type Heartbeat, heartbeatCodec } from './heartbeat.js';
import { type InstanceInfo, instanceInfoCodec } from './instance-info.js';
import { instanceRecordCodec } from './instance-record.js';
import { kvEventBatchCodec } from './kv-events.js';
import { type LoadReport, loadReportCodec } from './load-report.js';
import type { MessageCodec } from './message-codec.js';
import { routeDecisionCodec, routeRequestCodec } from './route.js';
import { ServiceError } from './service-error.js';
import { serviceErrorCodec } from './service-error-message.js';
import { streamReplayCodec, streamReplayReplyCodec } from './stream-replay.js';
import { submitReplyCodec, submitRequestCodec } from './submit.js';
import { type TokenBatch, tokenBatchCodec } from './token-batch.js';

const info: InstanceInfo = {
  id: 'decode-0',
  role: 'decode',
  model: 'tiny/llama-15m',
  modelFingerprint: 'sha256:abcd',
  blockSize: 16,
  numBlocks: 4096,
  maxModelLen: 2048,
  hashSeed: 'seed-1',
  kvLayout: {
    dtype: 'bf16',
    numLayers: 6,
    numKvHeads: 6,
    headDim: 48,
    blockBytes: 110592,
    order: 'block-major',
  },
  kvConnector: {
    agentId: 'host-a',
    transports: ['ucx', 'nats'],
    ucxAddress: new Uint8Array([0, 1, 254, 255]),
  },
  epoch: 1714000000123,
  startedAtMs: 1714000000123,
  host: 'host-a',
  pid: 4242,
};

const load: LoadReport = {
  queueLength: 3,
  numRunning: 7,
  numWaiting: 2,
  kvUsage: 0.25,
  numFreeBlocks: 3072,
  prefillTokensPerS: 5123.5,
  decodeStepMs: [
    { batchSize: 1, stepMs: 11.5 },
    { batchSize: 8, stepMs: 14.25 },
  ],
  timestampMs: 1714000001000,
};

const heartbeat: Heartbeat = {
  instanceId: info.id,
  model: info.model,
  epoch: info.epoch,
  seq: 9,
  sentAtMs: 1,
  load,
};

const batch: TokenBatch = {
  requestId: 'cmpl-1',
  seq: 0,
  index: 0,
  tokenIds: [17, 42],
  text: ' hello',
  logprobs: [{ tokenIds: [17, 3], logprobs: [-0.1, -2.5], ranks: [1, 2] }],
  promptLogprobs: [null, { tokenIds: [5], logprobs: [-1], ranks: [3] }],
  cumulativeLogprob: -0.1,
  numCachedTokens: 32,
};

interface Sample {
  type: string;
  message: unknown;
  roundTrip(): unknown;
}

/** Typed so every sample must match its interface. */
function sample<T>(codec: MessageCodec<T>, message: T): Sample {
  return { type: codec.type, message, roundTrip: () => codec.decode(codec.encode(message)) };
}

/** One well-formed message of every type, each with every optional field it can have set somewhere. */
const samples: Sample[] = [
  sample(instanceInfoCodec, info),
  sample(loadReportCodec, load),
  sample(loadReportCodec, {
    ...load,
    queuedPromptTokens: 1536,
    decodeItlMs: 42.5,
    kvTransferBytesPerS: 4.5e8,
    kvTransferBytesInFlight: 1_179_648,
    minTpotSloMs: 80,
    numWithoutTpotSlo: 2,
    meanMaxTokens: 96.5,
  }),
  sample(heartbeatCodec, heartbeat),
  sample(instanceRecordCodec, { info, heartbeat }),
  sample(routeRequestCodec, {
    requestId: 'r1',
    model: 'm',
    numPromptTokens: 40,
    blockHashes: ['aa', 'bb'],
    maxTokens: null,
    slo: { ttftMs: 500, tpotMs: 50 },
    priority: -1,
    excludeInstanceIds: ['d1'],
    arrivalTimeMs: 5,
  }),
  sample(routeDecisionCodec, {
    requestId: 'r1',
    mode: 'disaggregated',
    prefillInstanceId: 'p0',
    decodeInstanceId: 'd0',
    numCachedTokens: 16,
    predictedTtftMs: 120.5,
    predictedTpotMs: 30,
  }),
  sample(submitRequestCodec, {
    requestId: 'r1',
    model: 'm',
    promptTokenIds: [1, 2, 3],
    samplingParams: {
      temperature: 0.7,
      topK: 40,
      seed: 7,
      stop: ['\n\n'],
      stopTokenIds: [2],
      maxTokens: 64,
      logitBias: { '50256': -100 },
      badWords: [[1, 2]],
      outputKind: 'delta',
    },
    task: 'prefill',
    prefillInstanceId: 'p0',
    decodeInstanceId: 'd0',
    kvTransferParams: {
      doRemoteDecode: true,
      remoteInstanceId: 'd0',
      remoteBlockIds: [4, 5],
      remoteEpoch: 3,
    },
    slo: { e2eMs: 9000 },
    trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    cacheSalt: 'tenant-a',
    arrivalTimeMs: 5,
    streamStartSeq: 4,
    generatedTokenIds: [9, 9],
  }),
  sample(submitReplyCodec, {
    requestId: 'r1',
    instanceId: 'd0',
    epoch: 3,
    kvTransferParams: { transferId: 't-1' },
  }),
  sample(tokenBatchCodec, batch),
  sample(tokenBatchCodec, {
    requestId: 'cmpl-1',
    seq: 5,
    index: 1,
    tokenIds: [],
    text: '',
    finishReason: 'stop',
    stopReason: '###',
    usage: { promptTokens: 40, completionTokens: 9, cachedTokens: 32 },
    done: true,
    error: { code: 'aborted', message: 'client went away' },
  }),
  sample(tokenBatchCodec, {
    requestId: 'cmpl-1',
    seq: -1,
    keepalive: true,
    index: 0,
    tokenIds: [],
    text: '',
  }),
  sample(streamReplayCodec, { requestId: 'r1', fromSeq: 3 }),
  sample(streamReplayReplyCodec, { requestId: 'r1', batches: [batch, { ...batch, seq: 1 }] }),
  sample(cancelCodec, { requestId: 'r1', reason: 'client disconnected' }),
  sample(kvEventBatchCodec, {
    instanceId: 'p0',
    epoch: 2,
    seq: 11,
    events: [
      { type: 'BlockStored', blockHashes: ['h1', 'h2'], parentBlockHash: null, numTokens: 32 },
      { type: 'BlockRemoved', blockHashes: ['h0'] },
      { type: 'AllBlocksCleared' },
    ],
  }),
  sample(serviceErrorCodec, { code: 'overloaded', message: 'no capacity', retryAfterS: 2, param: 'x' }),
];

const internal = (pattern: RegExp) => (err: unknown) =>
  err instanceof ServiceError && err.code === 'internal' && pattern.test(err.message);

describe('message codecs', () => {
  it('round-trip every message type', () => {
    for (const { type, message, roundTrip } of samples) assert.deepEqual(roundTrip(), message, type);
  });

  it('keep binary fields as Uint8Array', () => {
    const decoded = instanceInfoCodec.decode(instanceInfoCodec.encode(info));
    assert.ok(decoded.kvConnector.ucxAddress instanceof Uint8Array);
    assert.deepEqual([...(decoded.kvConnector.ucxAddress ?? [])], [0, 1, 254, 255]);
  });

  it('drop undefined optional fields instead of sending nil', () => {
    const decoded = cancelCodec.decode(cancelCodec.encode({ requestId: 'r', reason: undefined }));
    assert.deepEqual(decoded, { requestId: 'r' });
  });

  it('refuse a message from another protocol version with a clear internal error', () => {
    const future = encode({ v: 2, t: 'Cancel', requestId: 'r' });
    assert.throws(() => cancelCodec.decode(future), internal(/protocol version mismatch.*v=2.*v=1/));
    assert.throws(() => cancelCodec.decode(encode({ t: 'Cancel', requestId: 'r' })), internal(/v=undefined/));
  });

  it('refuse another message type, non-maps, garbage and wrong field types', () => {
    const cancel = cancelCodec.encode({ requestId: 'r' });
    assert.throws(
      () => tokenBatchCodec.decode(cancel),
      internal(/expected a TokenBatch message, got Cancel/),
    );
    assert.throws(() => cancelCodec.decode(encode([1, 2])), internal(/not a msgpack map/));
    assert.throws(() => cancelCodec.decode(new Uint8Array([0xc1])), internal(/not valid msgpack/));
    const bad = { ...batch, tokenIds: [1, -2] };
    assert.throws(
      () => tokenBatchCodec.decode(tokenBatchCodec.encode(bad)),
      internal(/tokenIds: must be a list/),
    );
    const badCode = { code: 'teapot', message: 'x' } as never;
    assert.throws(() => serviceErrorCodec.decode(serviceErrorCodec.encode(badCode)), internal(/code/));
  });

  it('check cross-field rules', () => {
    const colocatedWithPrefill = {
      requestId: 'r',
      mode: 'colocated',
      prefillInstanceId: 'p',
      decodeInstanceId: 'd',
      numCachedTokens: 0,
      predictedTtftMs: 1,
      predictedTpotMs: 1,
    } as const;
    const bytes = routeDecisionCodec.encode(colocatedWithPrefill);
    assert.throws(() => routeDecisionCodec.decode(bytes), internal(/prefillInstanceId/));
    const negativeSeq = tokenBatchCodec.encode({ ...batch, seq: -1 });
    assert.throws(() => tokenBatchCodec.decode(negativeSeq), internal(/seq/));
  });
});
