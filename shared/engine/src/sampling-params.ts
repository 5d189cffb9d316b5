import { InvalidSamplingParamsError } from './errors.js';

/** How a request's outputs are reported: whole text so far, only what is new, or once at the end. */
export type RequestOutputKind = 'cumulative' | 'delta' | 'finalOnly';

/** What a caller may set; every field is optional and takes vLLM's default. */
export interface SamplingParamsInit {
  n?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  repetitionPenalty?: number;
  seed?: number | null;
  stop?: string | readonly string[] | null;
  stopTokenIds?: readonly number[] | null;
  includeStopStrInOutput?: boolean;
  minTokens?: number;
  /** null: generate until EOS, a stop, or maxModelLen. */
  maxTokens?: number | null;
  ignoreEos?: boolean;
  /** token id -> bias added to its logit (OpenAI sends string keys). */
  logitBias?: Readonly<Record<string, number>> | ReadonlyMap<number, number> | null;
  allowedTokenIds?: readonly number[] | null;
  /** Token sequences that must never be generated (the gateway tokenizes vLLM's bad_words strings). */
  badWords?: readonly (readonly number[])[] | null;
  /** Number of top logprobs to return per generated token (the chosen token is always added). */
  logprobs?: number | null;
  /** Number of top logprobs to return per prompt token. */
  promptLogprobs?: number | null;
  outputKind?: RequestOutputKind;
}

const SNAKE: Record<string, string> = {
  topK: 'top_k',
  topP: 'top_p',
  minP: 'min_p',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
  repetitionPenalty: 'repetition_penalty',
  stopTokenIds: 'stop_token_ids',
  includeStopStrInOutput: 'include_stop_str_in_output',
  minTokens: 'min_tokens',
  maxTokens: 'max_tokens',
  ignoreEos: 'ignore_eos',
  logitBias: 'logit_bias',
  allowedTokenIds: 'allowed_token_ids',
  badWords: 'bad_words',
  promptLogprobs: 'prompt_logprobs',
  outputKind: 'output_kind',
};

function fail(field: string, message: string): never {
  throw new InvalidSamplingParamsError(field, SNAKE[field] ?? field, message);
}

function num(field: string, v: unknown, ok: (x: number) => boolean, rule: string): number {
  if (typeof v !== 'number' || Number.isNaN(v) || !ok(v)) fail(field, `must be ${rule}, got ${String(v)}`);
  return v;
}

function int(field: string, v: unknown, min: number): number {
  return num(field, v, (x) => Number.isSafeInteger(x) && x >= min, `an integer >= ${min}`);
}

function tokenList(field: string, v: unknown, allowEmpty: boolean): number[] {
  if (!Array.isArray(v)) fail(field, 'must be a list of token ids');
  if (!allowEmpty && v.length === 0) fail(field, 'must not be empty');
  return v.map((id) => int(field, id, 0));
}

function normalizeStop(v: SamplingParamsInit['stop']): string[] {
  const list = v == null ? [] : typeof v === 'string' ? [v] : [...v];
  for (const s of list) {
    if (typeof s !== 'string' || s.length === 0) fail('stop', 'must contain only non-empty strings');
  }
  return list;
}

function normalizeLogitBias(v: SamplingParamsInit['logitBias']): Map<number, number> | null {
  if (v == null) return null;
  const entries: [unknown, unknown][] = v instanceof Map ? [...v.entries()] : Object.entries(v);
  const out = new Map<number, number>();
  for (const [k, b] of entries) {
    const id = int('logitBias', typeof k === 'string' ? Number(k) : k, 0);
    out.set(id, num('logitBias', b, Number.isFinite, 'a finite number'));
  }
  return out;
}

function optionalCount(field: string, v: number | null | undefined): number | null {
  return v == null ? null : int(field, v, 0);
}

/**
 * Validated, immutable sampling parameters with vLLM's names in camelCase. Built once per request
 * by the gateway or the offline API (`SamplingParams.create`), read by the Sampler every step and
 * by the stop checks. `verifyForVocab` is called by the engine at add time, when the vocabulary
 * size is known.
 */
export class SamplingParams {
  readonly n: number;
  readonly temperature: number;
  /** 0 disables (vLLM also accepts -1, normalized to 0). */
  readonly topK: number;
  readonly topP: number;
  readonly minP: number;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  readonly repetitionPenalty: number;
  readonly seed: number | null;
  readonly stop: readonly string[];
  readonly stopTokenIds: readonly number[];
  readonly includeStopStrInOutput: boolean;
  readonly minTokens: number;
  readonly maxTokens: number | null;
  readonly ignoreEos: boolean;
  readonly logitBias: ReadonlyMap<number, number> | null;
  readonly allowedTokenIds: readonly number[] | null;
  readonly badWords: readonly (readonly number[])[] | null;
  readonly logprobs: number | null;
  readonly promptLogprobs: number | null;
  readonly outputKind: RequestOutputKind;

  private constructor(p: SamplingParamsInit) {
    this.n = int('n', p.n ?? 1, 1);
    this.temperature = num('temperature', p.temperature ?? 1, (x) => x >= 0 && Number.isFinite(x), '>= 0');
    const topK = int('topK', p.topK ?? 0, -1);
    this.topK = topK === -1 ? 0 : topK;
    this.topP = num('topP', p.topP ?? 1, (x) => x > 0 && x <= 1, 'in (0, 1]');
    this.minP = num('minP', p.minP ?? 0, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    const penalty = (x: number) => x >= -2 && x <= 2;
    this.presencePenalty = num('presencePenalty', p.presencePenalty ?? 0, penalty, 'in [-2, 2]');
    this.frequencyPenalty = num('frequencyPenalty', p.frequencyPenalty ?? 0, penalty, 'in [-2, 2]');
    this.repetitionPenalty = num(
      'repetitionPenalty',
      p.repetitionPenalty ?? 1,
      (x) => x > 0 && Number.isFinite(x),
      '> 0',
    );
    this.seed = p.seed == null ? null : num('seed', p.seed, Number.isSafeInteger, 'a safe integer');
    this.stop = normalizeStop(p.stop);
    this.stopTokenIds = p.stopTokenIds == null ? [] : tokenList('stopTokenIds', p.stopTokenIds, true);
    this.includeStopStrInOutput = p.includeStopStrInOutput ?? false;
    this.maxTokens = p.maxTokens === null ? null : int('maxTokens', p.maxTokens ?? 16, 1);
    this.minTokens = int('minTokens', p.minTokens ?? 0, 0);
    if (this.maxTokens !== null && this.minTokens > this.maxTokens) {
      fail('minTokens', `must be <= max_tokens (${this.maxTokens}), got ${this.minTokens}`);
    }
    this.ignoreEos = p.ignoreEos ?? false;
    this.logitBias = normalizeLogitBias(p.logitBias);
    this.allowedTokenIds =
      p.allowedTokenIds == null ? null : tokenList('allowedTokenIds', p.allowedTokenIds, false);
    this.badWords = p.badWords == null ? null : p.badWords.map((w) => tokenList('badWords', w, false));
    this.logprobs = optionalCount('logprobs', p.logprobs);
    this.promptLogprobs = optionalCount('promptLogprobs', p.promptLogprobs);
    const kind = p.outputKind ?? 'cumulative';
    if (!['cumulative', 'delta', 'finalOnly'].includes(kind)) fail('outputKind', `unknown kind ${kind}`);
    this.outputKind = kind;
    Object.freeze(this);
  }

  /** Validates `init` and fills vLLM's defaults. Throws InvalidSamplingParamsError naming the field. */
  static create(init: SamplingParamsInit = {}): SamplingParams {
    return new SamplingParams(init);
  }

  /** Greedy decoding: temperature below vLLM's epsilon. */
  get isGreedy(): boolean {
    return this.temperature < 1e-5;
  }

  /** A copy with some fields replaced (validated again); used to derive the per-child seeds of n > 1. */
  with(changes: SamplingParamsInit): SamplingParams {
    return new SamplingParams({ ...this.toInit(), ...changes });
  }

  /** The parameters as a plain init object (for serialization and `with`). */
  toInit(): SamplingParamsInit {
    const { logitBias, ...rest } = this;
    return { ...rest, logitBias: logitBias === null ? null : new Map(logitBias) };
  }

  /** Checks every token id against the model's vocabulary; called by the engine at add time. */
  verifyForVocab(vocabSize: number): void {
    const check = (field: string, ids: Iterable<number>) => {
      for (const id of ids)
        if (id >= vocabSize) fail(field, `token id ${id} is outside the vocabulary (${vocabSize})`);
    };
    check('stopTokenIds', this.stopTokenIds);
    if (this.logitBias) check('logitBias', this.logitBias.keys());
    if (this.allowedTokenIds) check('allowedTokenIds', this.allowedTokenIds);
    for (const w of this.badWords ?? []) check('badWords', w);
    if (this.logprobs !== null && this.logprobs > vocabSize)
      fail('logprobs', `must be <= vocab size ${vocabSize}`);
    if (this.promptLogprobs !== null && this.promptLogprobs > vocabSize) {
      fail('promptLogprobs', `must be <= vocab size ${vocabSize}`);
    }
  }
}
