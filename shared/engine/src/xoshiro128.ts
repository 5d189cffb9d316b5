import { randomBytes } from 'node:crypto';
import { EngineError } from './errors.js';

/** The four 32-bit words of a Xoshiro128 state, as carried across processes (msgpack-friendly). */
export type Xoshiro128State = [number, number, number, number];

/** splitmix32 step: spreads a seed word over a full 32-bit state word. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** (Blackman & Vigna): a small, fast PRNG on 32-bit words. Each request owns one,
 * so seeded sampling is reproducible per request and independent of what else is batched. Its
 * state is four numbers (`getState` / `fromState`) so a decode instance can resume the exact
 * stream a prefill instance started.
 */
export class Xoshiro128 {
  private readonly s: Uint32Array;

  private constructor(state: Uint32Array) {
    this.s = state;
  }

  /** A generator seeded from an integer seed (any safe integer, negative ones included). */
  static fromSeed(seed: number): Xoshiro128 {
    if (!Number.isSafeInteger(seed)) throw new EngineError(`seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    const s = new Uint32Array(4);
    let x = splitmix32(lo ^ 0x6a09e667);
    for (let i = 0; i < 4; i++) {
      x = splitmix32(x ^ (i % 2 === 0 ? hi : lo) ^ i);
      s[i] = x;
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
    return new Xoshiro128(s);
  }

  /** A generator seeded from the OS entropy source (for requests without a seed). */
  static fromEntropy(): Xoshiro128 {
    const bytes = randomBytes(16);
    const s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) s[i] = bytes.readUInt32LE(i * 4);
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
    return new Xoshiro128(s);
  }

  /** Restores a generator from `getState()`'s output. */
  static fromState(state: readonly number[]): Xoshiro128 {
    const rng = new Xoshiro128(new Uint32Array(4));
    rng.setState(state);
    return rng;
  }

  /** Replaces the state in place (a request restoring its carried decode state). */
  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new EngineError('a Xoshiro128 state is four unsigned 32-bit integers');
    }
    if (state.every((w) => w === 0)) throw new EngineError('a Xoshiro128 state cannot be all zero');
    this.s.set(state);
  }

  /** The current state; `fromState(getState())` continues the same stream. */
  getState(): Xoshiro128State {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** The next unsigned 32-bit output. */
  nextUint32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
