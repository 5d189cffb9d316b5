import assert from 'node:assert/strict';
import { LLM, type SamplingParamsInit } from '@pdserve/engine';
import type { KvTransferParams } from '@pdserve/protocol';
import { PoolFakeExecutor, type PoolFakeExecutorOptions } from './pool-fake-executor.js';
import type { TestEngine, TestResult } from './test-engine.js';

/** The fake model of the conformance suite: 4-token blocks of 4 KiB (split over NATS chunks). */
export const CONFORMANCE_MODEL: PoolFakeExecutorOptions = {
  vocabSize: 64,
  blockSize: 4,
  numBlocks: 32,
  layers: 2,
  kvHeads: 2,
  headDim: 32,
};

/** A started disaggregated request: D's result, P's result, and what D reserved. */
export interface Disaggregated {
  decode: Promise<TestResult>;
  prefill: Promise<TestResult>;
  reservation: KvTransferParams;
}

/** The flow of a disaggregated request: reserve on D, then prefill on P with D's params. */
export async function disaggregate(
  p: TestEngine,
  d: TestEngine,
  requestId: string,
  prompt: readonly number[],
  params: SamplingParamsInit,
): Promise<Disaggregated> {
  const decode = d.submit(requestId, prompt, params, { doRemotePrefill: true });
  const reservation = await d.core.remotePrefillReservation(requestId);
  const prefill = p.submit(requestId, prompt, params, { ...reservation, doRemoteDecode: true });
  return { decode, prefill, reservation };
}

/** The tokens a colocated engine (same fake model, no connector) generates. */
export async function colocated(prompt: readonly number[], params: SamplingParamsInit): Promise<number[]> {
  const executor = new PoolFakeExecutor(CONFORMANCE_MODEL);
  try {
    const llm = new LLM(executor, {
      maxModelLen: executor.numBlocks * executor.blockSize,
      maxNumBatchedTokens: 8,
      hashSeed: 'seed',
    });
    const [out] = await llm.generate({ promptTokenIds: prompt }, params);
    return out.outputs[0].tokenIds;
  } finally {
    executor.close();
  }
}

/**
 * Records P's prompt blocks when the first token is sampled and D's reserved blocks when the KV
 * is committed (before D writes anything more), and asserts they are byte for byte equal.
 */
export function watchBlockBytes(p: TestEngine, d: TestEngine, requestId: string): () => void {
  let pBytes: Uint8Array[] | null = null;
  let dBytes: Uint8Array[] | null = null;
  p.onEvent((e) => {
    if (e.type !== 'prefillDone' || e.requestId !== requestId) return;
    const ids = p.core.kvCacheManager.getBlockIds(requestId);
    pBytes = ids.map((b) => p.executor.blockBytes(b));
  });
  d.onEvent((e) => {
    if (e.type !== 'recvCommitted' || e.requestId !== requestId) return;
    const ids = d.core.kvCacheManager.getBlockIds(requestId);
    dBytes = ids.map((b) => d.executor.blockBytes(b));
  });
  return () => {
    assert.ok(pBytes !== null && dBytes !== null, 'both ends recorded their blocks');
    assert.equal(dBytes.length, pBytes.length);
    for (const [i, bytes] of dBytes.entries()) {
      assert.ok(Buffer.from(bytes).equals(Buffer.from(pBytes[i])), `block ${i} differs`);
    }
  };
}

/** Prompt of `n` tokens from a seed (ids within the fake vocabulary, never 0). */
export function prompt(n: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => 1 + ((i * 7 + seed * 13) % 60));
}
