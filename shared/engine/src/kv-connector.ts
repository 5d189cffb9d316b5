import type { KvTransferParams } from '@pdserve/protocol';
import type { Request, RequestDecodeState } from './request.js';
import type { SchedulerOutput } from './scheduler-output.js';

/**
 * The engine's KV cache as a connector sees it: the runner's shared-memory pool. The native
 * `KvPool` satisfies it; block b is the byte range [b * blockBytes, (b + 1) * blockBytes).
 */
export interface KvCacheRegion {
  /** POSIX shm name, so a kv-connector agent can map the same pool. */
  readonly name: string;
  readonly layout: Readonly<{
    numBlocks: number;
    blockSize: number;
    layers: number;
    kvHeads: number;
    headDim: number;
    dtype: string;
  }>;
  readonly blockBytes: number;
  buffer(): ArrayBuffer;
}

/** What `getNumNewMatchedTokens` found: tokens whose KV comes from elsewhere, and whether asynchronously. */
export interface KvConnectorMatch {
  numExternalTokens: number;
  /** True: the tokens arrive after the request is added (it waits in WAITING_FOR_REMOTE_KVS). */
  loadAsync: boolean;
}

/** A request's blocks that became complete in one step and go to its transfer (prefill side). */
export interface KvSaveSpec {
  requestId: string;
  /** Index, within the request's block table, of blockIds[0]. */
  firstIndex: number;
  blockIds: number[];
}

/**
 * One step's connector metadata (vLLM's KVConnectorMetadata), built by the scheduler half right
 * after `schedule()` and consumed by the worker half around the forward.
 */
export interface KvConnectorMeta {
  /** Requests whose KV is being loaded from a remote instance (decode side). */
  loads: { requestId: string; blockIds: readonly number[] }[];
  /** Blocks completed by this step's forward that can be handed to transfers (prefill side). */
  saves: KvSaveSpec[];
}

/** What `requestFinished` decided about a finished request's blocks. */
export interface KvRequestFinished {
  /** True: keep the blocks until `getFinished` lists the request (a transfer still reads or writes them). */
  delayFree: boolean;
  kvTransferParams: KvTransferParams | null;
}

/** Transfers that touch an engine's pool no more (`getFinished`). */
export interface KvFinished {
  /** Prefill side: sends that are over (sent, failed or cancelled); their delayed blocks may be freed. */
  finishedSending: ReadonlySet<string>;
  /**
   * Decode side: receives that are over. The decode state when the KV was committed (the request
   * joins the batch), null when the receive was cancelled (its delayed blocks may be freed).
   */
  finishedRecving: ReadonlyMap<string, RequestDecodeState | null>;
}

/** What the connector reports to the services through EngineCore.onKvConnectorEvent. */
export type KvConnectorEvent =
  /** Decode side: the transfer is open at the agent; `kvTransferParams` go in the SubmitReply. */
  | { type: 'recvOpened'; requestId: string; kvTransferParams: KvTransferParams }
  /** Decode side: the prompt's KV arrived and was verified; the request joins the running batch. */
  | { type: 'recvCommitted'; requestId: string; transferId: string; decodeState: RequestDecodeState }
  /** Decode side: the transfer failed (peer death, timeout, abort, refused); the request is aborted. */
  | { type: 'recvFailed'; requestId: string; transferId: string; error: Error }
  /**
   * Prefill side: the prompt ran and the first token was sampled (`decodeState.outputTokenIds[0]`);
   * publish it at once (TokenBatch seq 0). The blocks now go to the decode instance.
   */
  | { type: 'prefillDone'; requestId: string; transferId: string; decodeState: RequestDecodeState }
  /** Prefill side: the transfer is over (committed at the decode side, or failed); the blocks are free. */
  | { type: 'sendFinished'; requestId: string; transferId: string; ok: boolean; error: Error | null };

/**
 * The scheduler half of a KV connector (vLLM's KVConnectorBase_V1, scheduler role). EngineCore
 * calls it from its scheduling thread (the JS thread, between steps or in `step()`'s synchronous
 * part). It keeps per-request transfer bookkeeping; it never touches the engine's blocks itself.
 */
export interface KvConnectorScheduler {
  /**
   * EngineCore.addRequest, for a request with kvTransferParams: how many prompt tokens beyond the
   * `numComputedTokens` found locally will be loaded from a remote instance. Decode side
   * (doRemotePrefill): the whole rest of the prompt, asynchronously. Otherwise 0.
   */
  getNumNewMatchedTokens(request: Request, numComputedTokens: number): KvConnectorMatch;
  /**
   * EngineCore.addRequest, after it allocated blocks for the external tokens (blockIds: the
   * request's block table). Decode side: opens the transfer at the agent (asynchronously; see
   * `reservation`) and sets `request.kvTransferParams` to what the prefill side needs.
   */
  updateStateAfterAlloc(request: Request, blockIds: readonly number[], numExternalTokens: number): void;
  /**
   * Decode side: resolves with the kvTransferParams for the SubmitReply once the agent holds the
   * transfer under its lease; rejects (a ServiceError) when it could not be opened, in which case
   * the request is failed through `getBlockIdsWithLoadErrors`.
   */
  reservation(requestId: string): Promise<KvTransferParams>;
  /** EngineCore.step, right after `schedule()`: this step's metadata for the worker half. */
  buildConnectorMeta(output: SchedulerOutput): KvConnectorMeta;
  /**
   * The Scheduler, when a request finishes (stop, length, abort): prefill side hands the last
   * blocks and the decode state to the transfer and delays the free until it is over; decode side
   * delays the free of a request still receiving until the agent stopped writing.
   */
  requestFinished(request: Request, blockIds: readonly number[]): KvRequestFinished;
  /** Events since the last call, oldest first (EngineCore forwards them to onKvConnectorEvent). */
  takeEvents(): KvConnectorEvent[];
}

/**
 * The worker half (vLLM's worker role): next to the model runner and its KV pool. Our native
 * forward runs every layer in one call, so the layer hooks are step granular: `waitForLayerLoad`
 * and `saveKvLayer` are called once per step, before and after the forward.
 */
export interface KvConnectorWorker {
  /** EngineCore's constructor: the pool the transfers read from / write into. */
  registerKvCaches(region: KvCacheRegion): void;
  /** Before the forward: start loading what `meta.loads` lists (the agent pushes; may be a no-op). */
  startLoadKv(meta: KvConnectorMeta): void;
  /** Before the forward: resolves when the KV the step reads is loaded (step granular). */
  waitForLayerLoad(): Promise<void>;
  /** After the forward wrote the step's KV: hands `meta.saves` to their transfers. */
  saveKvLayer(meta: KvConnectorMeta): void;
  /** After saveKvLayer: resolves when the saves were handed over (the agent reads the blocks later). */
  waitForSave(): Promise<void>;
  /** EngineCore's poll (each step and on `onProgress`): transfers that are over since the last call. */
  getFinished(): KvFinished;
  /** Blocks of requests whose load failed since the last call (the agent writes them no more). */
  getBlockIdsWithLoadErrors(): Set<number>;
  /** What a peer must match: model fingerprint, block size, KV layout and dtype, hash seed, agent. */
  getHandshakeMetadata(): KvHandshakeMetadata;
  /** Cancels every transfer, detaches from the agent; the engine frees the blocks afterwards. */
  shutdown(): Promise<void>;
}

/** The facts two instances compare before moving KV between them (design §4, "KV connector"). */
export interface KvHandshakeMetadata {
  instanceId: string;
  epoch: number;
  agentId: string;
  modelFingerprint: string;
  hashSeed: string;
  blockSize: number;
  kvLayout: {
    dtype: string;
    numLayers: number;
    numKvHeads: number;
    headDim: number;
    blockBytes: number;
    order: string;
  };
}

/**
 * A KV connector: both halves, plus a progress signal. EngineCore takes one (EngineCoreConfig.
 * kvConnector) and registers `onProgress` so it polls `getFinished` as soon as a transfer moves,
 * also while no step runs.
 */
export interface KvConnector {
  readonly scheduler: KvConnectorScheduler;
  readonly worker: KvConnectorWorker;
  /** Called by the connector (any time) when getFinished / load errors / events may have news. */
  onProgress(listener: () => void): void;
}
