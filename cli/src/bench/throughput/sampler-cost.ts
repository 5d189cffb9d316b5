import {
  Request,
  Sampler,
  type SamplingKernel,
  SamplingParams,
  type SamplingParamsInit,
  Xoshiro128,
} from '@pdserve/engine';

/** Milliseconds per row of the TypeScript Sampler and of the kernel for one parameter setting. */
export interface SamplerCost {
  name: string;
  tsMsPerRow: number;
  nativeMsPerRow: number;
}

/** The settings timed: the bench's own (temperature 1, top_p 1), then top_k and top_p. */
export const SAMPLER_COST_SETTINGS: [string, SamplingParamsInit][] = [
  ['temperature 1', { temperature: 1 }],
  ['top_k 50', { temperature: 1, topK: 50 }],
  ['top_p 0.9', { temperature: 1, topP: 0.9 }],
];

function requests(params: SamplingParams, rows: number): Request[] {
  return Array.from(
    { length: rows },
    (_, i) =>
      new Request({
        requestId: `cost-${i}`,
        promptTokenIds: [0],
        samplingParams: params.with({ seed: i }),
        maxTokens: 1,
        eosTokenIds: [],
      }),
  );
}

async function timeRows(
  sampler: Sampler,
  logits: Float32Array,
  reqs: Request[],
  repeats: number,
): Promise<number> {
  const items = reqs.map((request, row) => ({ row, request }));
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const pending = sampler.sampleRows(logits, items);
    if (pending instanceof Promise) await pending;
    best = Math.min(best, performance.now() - t0);
  }
  return best / reqs.length;
}

/**
 * Times one batch of `rows` rows of random logits (standard-normal-like spread, the vocabulary of
 * the model) through the TypeScript Sampler and through `kernel`, per setting: the best of a few
 * repeats, in ms per row (the kernel's figure includes its call and the thread pool).
 */
export async function measureSamplerCost(
  vocabSize: number,
  kernel: SamplingKernel,
  rows = 64,
  repeats = 3,
): Promise<SamplerCost[]> {
  const gen = Xoshiro128.fromSeed(1);
  const logits = Float32Array.from(
    { length: rows * vocabSize },
    () => 3 * (gen.nextFloat() + gen.nextFloat() + gen.nextFloat() - 1.5),
  );
  const ts = new Sampler(vocabSize);
  const native = new Sampler(vocabSize, kernel);
  const out: SamplerCost[] = [];
  for (const [name, init] of SAMPLER_COST_SETTINGS) {
    const params = SamplingParams.create(init);
    out.push({
      name,
      tsMsPerRow: await timeRows(ts, logits, requests(params, rows), repeats),
      nativeMsPerRow: await timeRows(native, logits, requests(params, rows), repeats),
    });
  }
  return out;
}
