/**
 * `npm run bench:runner`: the machine's FP32 FMA peak and read bandwidth, then on the 110m
 * shape in f32, bf16 and q8_0: matmul GFLOP/s at M = 1, 16, 64, 256, prefill tok/s for a
 * 512-token prompt and decode tok/s at batch 1, each as a ratio of the peak that bounds it.
 * Prints a table and writes bench/results/runner-<time>.json.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type ModelInput, ModelRunner, makeModel } from '@pdserve/model';
import { benchLinear, cpuInfo, Linear, measureFmaPeak, measureReadBandwidth } from '@pdserve/native';
import { printTable, resultsDir, writeResult } from './bench-output.js';

type Dtype = 'f32' | 'bf16' | 'q8_0';
const DTYPES: Dtype[] = ['f32', 'bf16', 'q8_0'];
const MS = [1, 16, 64, 256];
/** 110m's projection shapes [n, k]: q/k/v/o, gate/up, down, lm_head. */
const SHAPES: [string, number, number][] = [
  ['attn 768x768', 768, 768],
  ['gate/up 2048x768', 2048, 768],
  ['down 768x2048', 768, 2048],
  ['lm_head 32000x768', 32000, 768],
];
/** llama.cpp (CPU, 2 threads) on a 134M model on this machine kind, from the issue. */
const LLAMA_CPP = {
  prefill: { f32: 400, q8_0: 770 } as Record<string, number>,
  decode: { f32: 34, f16: 52, q8_0: 120 } as Record<string, number>,
};

interface Peaks {
  fmaGflops: number;
  readGBs: number;
}

async function measurePeaks(): Promise<Peaks> {
  const fmaGflops = await measureFmaPeak(1.0);
  const readGBs = await measureReadBandwidth(1 << 30, 1.5);
  return { fmaGflops, readGBs };
}

function randomSource(n: number, k: number): Uint8Array {
  const f = new Float32Array(n * k);
  for (let i = 0; i < f.length; i++) f[i] = (Math.random() - 0.5) * 0.1;
  return new Uint8Array(f.buffer);
}

async function benchMatmuls(peaks: Peaks) {
  const rows = [];
  for (const [name, n, k] of SHAPES) {
    const src = randomSource(n, k);
    for (const dtype of DTYPES) {
      const lin = Linear.create(n, k, 'f32', src, dtype);
      for (const m of MS) {
        const iters = Math.max(3, Math.min(200, Math.round(2e9 / (2 * m * n * k))));
        const seconds = await benchLinear(lin, m, iters);
        const gflops = (2 * m * n * k) / seconds / 1e9;
        const gbs = lin.weightBytes / seconds / 1e9;
        const ratio = m === 1 ? gbs / peaks.readGBs : gflops / peaks.fmaGflops;
        rows.push({
          shape: name,
          dtype,
          m,
          kernel: lin.kernelName(m),
          seconds,
          gflops,
          gbs,
          ratio,
          boundBy: m === 1 ? 'bandwidth' : 'fp32-peak',
        });
      }
    }
  }
  return rows;
}

function singleSequence(
  tokens: Int32Array,
  start: number,
  blocks: Int32Array,
  blockSize: number,
): ModelInput {
  const n = tokens.length;
  const positions = Int32Array.from({ length: n }, (_, i) => start + i);
  const slotMapping = positions.map((p) => blocks[Math.floor(p / blockSize)]! * blockSize + (p % blockSize));
  return {
    tokenIds: tokens,
    positions,
    slotMapping,
    queryStart: Int32Array.of(0),
    queryLen: Int32Array.of(n),
    contextLen: Int32Array.of(start + n),
    blockTables: blocks,
    maxBlocksPerSeq: blocks.length,
    logitsRows: Int32Array.of(n - 1),
  };
}

async function modelFile(dtype: Dtype): Promise<string> {
  const dir = join(resultsDir(), '..', 'models');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `110m-${dtype}.gguf`);
  if (!existsSync(path)) {
    console.log(`making ${path} (random weights, once)`);
    await makeModel({ shape: '110m', format: 'gguf', dtype, out: path, seed: 1 });
  }
  return path;
}

async function benchModel(dtype: Dtype, peaks: Peaks) {
  const model = await loadModel(await modelFile(dtype));
  const runner = ModelRunner.create(model, { dtype, maxModelLen: 1024, numBlocks: 64 });
  try {
    const blocks = Int32Array.from({ length: 64 }, (_, i) => i);
    const vocab = model.config.vocabSize;
    const prompt = Int32Array.from({ length: 512 }, () => 3 + Math.floor(Math.random() * (vocab - 3)));
    await runner.execute(singleSequence(prompt, 0, blocks, runner.blockSize)); // warm-up
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await runner.execute(singleSequence(prompt, 0, blocks, runner.blockSize));
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    const prefillTokS = 512 / best;
    const steps = 64;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      await runner.execute(singleSequence(Int32Array.of(prompt[i]!), 512 + i, blocks, runner.blockSize));
    }
    const decodeTokS = steps / ((performance.now() - t0) / 1000);
    const params = runner.weightBytesPerToken / bytesPerParam(dtype);
    const floorTokS = (peaks.readGBs * 1e9) / runner.weightBytesPerToken;
    const prefillGflops = (2 * params * prefillTokS) / 1e9;
    return {
      dtype,
      weightBytesPerToken: runner.weightBytesPerToken,
      prefillTokS,
      prefillGflops,
      prefillRatioToPeak: prefillGflops / peaks.fmaGflops,
      prefillVsLlamaCpp: LLAMA_CPP.prefill[dtype] ? prefillTokS / LLAMA_CPP.prefill[dtype] : null,
      decodeTokS,
      decodeFloorTokS: floorTokS,
      decodeRatioToFloor: decodeTokS / floorTokS,
      decodeVsLlamaCpp: LLAMA_CPP.decode[dtype] ? decodeTokS / LLAMA_CPP.decode[dtype] : null,
    };
  } finally {
    runner.close();
  }
}

function bytesPerParam(dtype: Dtype): number {
  return dtype === 'f32' ? 4 : dtype === 'bf16' ? 2 : 34 / 32;
}

async function main() {
  const cpu = cpuInfo();
  console.log(`CPU kernels: ${cpu.isa}, threads: ${cpu.threads}, AMX usable: ${cpu.features.amxUsable}`);
  const peaks = await measurePeaks();
  console.log(
    `measured peaks: FP32 FMA ${peaks.fmaGflops.toFixed(0)} GFLOP/s, streaming read ${peaks.readGBs.toFixed(1)} GB/s\n`,
  );
  const matmul = await benchMatmuls(peaks);
  printTable([
    ['shape', 'dtype', 'M', 'kernel', 'GFLOP/s', 'weights GB/s', 'ratio', 'bound'],
    ...matmul.map((r) => [r.shape, r.dtype, r.m, r.kernel, r.gflops, r.gbs, r.ratio, r.boundBy]),
  ]);
  const models = [];
  for (const dtype of DTYPES) models.push(await benchModel(dtype, peaks));
  console.log('');
  printTable([
    [
      '110m',
      'prefill tok/s',
      'GFLOP/s',
      'of FMA peak',
      'vs llama.cpp',
      'decode tok/s',
      'floor tok/s',
      'of floor',
      'vs llama.cpp',
    ],
    ...models.map((m) => [
      m.dtype,
      m.prefillTokS,
      m.prefillGflops,
      m.prefillRatioToPeak,
      m.prefillVsLlamaCpp ?? '-',
      m.decodeTokS,
      m.decodeFloorTokS,
      m.decodeRatioToFloor,
      m.decodeVsLlamaCpp ?? '-',
    ]),
  ]);
  const path = writeResult('runner', { date: new Date().toISOString(), cpu, peaks, matmul, models });
  console.log(`\nwrote ${path}`);
}

await main();
