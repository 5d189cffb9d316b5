import { Xoshiro128 } from '@pdserve/engine';
import type { Tokenizer } from '@pdserve/model';

/** One benchmark request: its prompt and the exact number of tokens it generates. */
export interface BenchRequest {
  promptTokenIds: number[];
  outputLen: number;
}

/** vLLM's random dataset: lengths uniform in [len * (1 - r), len * (1 + r)], optional shared prefix. */
export interface RandomDatasetOptions {
  numPrompts: number;
  inputLen: number;
  outputLen: number;
  /** vLLM's --random-range-ratio, in [0, 1). */
  rangeRatio: number;
  /** Tokens of one random prefix put in front of every prompt (not counted in inputLen). */
  prefixLen: number;
  /** Ids prompts may use, specials excluded (see promptTokenPool). */
  tokenPool: readonly number[];
  seed: number;
}

/** Thrown when the options cannot give a valid dataset (empty pool, lengths over maxModelLen). */
export class DatasetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
  }
}

/** Special-token pieces: <unk>, <s>, </s>, <pad>, <|...|> (llama2.c writes BOS/EOS with newlines around). */
const SPECIAL_PIECE = /^(<unk>|<pad>|<s>|<\/s>|<\|[^|]*\|>)$/;

/**
 * The token ids random prompts are drawn from: the whole vocabulary except BOS, EOS and tokens
 * written as special markers (as vLLM draws from the vocabulary minus the tokenizer's specials).
 */
export function promptTokenPool(tokenizer: Tokenizer): number[] {
  const specials = new Set([tokenizer.bosTokenId, ...tokenizer.eosTokenIds]);
  const pool: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    if (!specials.has(id) && !SPECIAL_PIECE.test(tokenizer.tokenPiece(id).trim())) pool.push(id);
  }
  return pool;
}

/** An integer uniform in [lo, hi]. */
function uniformInt(rng: Xoshiro128, lo: number, hi: number): number {
  return lo + Math.floor(rng.nextFloat() * (hi - lo + 1));
}

/** The [low, high] range vLLM draws a length from (at least 1). */
export function lengthRange(len: number, rangeRatio: number): [number, number] {
  return [Math.max(1, Math.floor(len * (1 - rangeRatio))), Math.max(1, Math.floor(len * (1 + rangeRatio)))];
}

/**
 * Draws `numPrompts` requests, reproducibly from `seed`: each prompt is the shared prefix followed
 * by a random number (in the input range) of random pool tokens; each output length is drawn from
 * the output range.
 */
export function makeRandomRequests(o: RandomDatasetOptions): BenchRequest[] {
  if (o.tokenPool.length === 0) throw new DatasetError('no token ids left to draw prompts from');
  const rng = Xoshiro128.fromSeed(o.seed);
  const token = () => o.tokenPool[Math.floor(rng.nextFloat() * o.tokenPool.length)];
  const prefix = Array.from({ length: o.prefixLen }, token);
  const [inLo, inHi] = lengthRange(o.inputLen, o.rangeRatio);
  const [outLo, outHi] = lengthRange(o.outputLen, o.rangeRatio);
  const requests: BenchRequest[] = [];
  for (let i = 0; i < o.numPrompts; i++) {
    const inputLen = uniformInt(rng, inLo, inHi);
    const outputLen = uniformInt(rng, outLo, outHi);
    requests.push({ promptTokenIds: [...prefix, ...Array.from({ length: inputLen }, token)], outputLen });
  }
  return requests;
}

/** Throws DatasetError when the longest possible request exceeds maxModelLen. */
export function checkFitsModelLen(o: RandomDatasetOptions, maxModelLen: number): void {
  const longest =
    o.prefixLen + lengthRange(o.inputLen, o.rangeRatio)[1] + lengthRange(o.outputLen, o.rangeRatio)[1];
  if (longest > maxModelLen) {
    throw new DatasetError(
      `prefix + input + output can reach ${longest} tokens, over --max-model-len ${maxModelLen}`,
    );
  }
}
