import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { argmax } from '@pdserve/native';
import { convertModel } from './convert-model.js';
import { loadModel } from './load-model.js';
import { type ModelInput, ModelRunner } from './model-runner.js';
import { TestFixtures } from './test-fixtures.js';

interface GoldenCase {
  prompt: string;
  prompt_token_ids: number[];
  greedy_token_ids: number[];
  first_steps_top5: [number, number][][];
}

const golden = TestFixtures.golden() as unknown as { cases: GoldenCase[] };
/** run.c -n 64: prompt (with BOS) plus generated tokens fill at most 64 positions. */
const STEPS = 64;
const BOS = 1;

/** One sequence on blocks 0..n-1 in order, so a position's KV slot is the position itself. */
function sequenceInput(tokens: number[], start: number, blocks: number): ModelInput {
  const positions = Int32Array.from(tokens, (_, i) => start + i);
  return {
    tokenIds: Int32Array.from(tokens),
    positions,
    slotMapping: positions.slice(),
    queryStart: Int32Array.of(0),
    queryLen: Int32Array.of(tokens.length),
    contextLen: Int32Array.of(start + tokens.length),
    blockTables: Int32Array.from({ length: blocks }, (_, i) => i),
    maxBlocksPerSeq: blocks,
    logitsRows: Int32Array.of(tokens.length - 1),
  };
}

/** Greedy decoding as run.c does it: prefill, then one token per step until BOS or 64 positions. */
async function greedy(runner: ModelRunner, prompt: number[]) {
  const blocks = Math.ceil(STEPS / runner.blockSize);
  const out: number[] = [];
  const logitsPerStep: Float32Array[] = [];
  let logits = await runner.execute(sequenceInput(prompt, 0, blocks));
  for (let pos = prompt.length; ; pos++) {
    logitsPerStep.push(logits);
    const next = (await argmax(logits, 1, runner.vocabSize))[0]!;
    out.push(next);
    if (next === BOS || pos >= STEPS) break;
    logits = await runner.execute(sequenceInput([next], pos, blocks));
  }
  return { out, logitsPerStep };
}

function assertTop5(logits: Float32Array, expected: [number, number][], label: string): void {
  for (const [id, value] of expected) {
    const got = logits[id]!;
    const rel = Math.abs(got - value) / Math.max(Math.abs(value), 1e-6);
    assert.ok(rel <= 1e-4, `${label}: logit of ${id} is ${got}, golden ${value} (relative error ${rel})`);
  }
  const ranked = Array.from(logits.keys())
    .sort((a, b) => logits[b]! - logits[a]! || a - b)
    .slice(0, 5);
  assert.deepEqual(
    ranked,
    expected.map(([id]) => id),
    `${label}: top-5 ids`,
  );
}

describe('runner reproduces llama2.c run.c (golden.json) through every format', () => {
  let dir: string;
  const formats: Record<string, () => string> = {
    llama2c: () => TestFixtures.storiesModel(),
    hf: () => path.join(dir, 'hf'),
    gguf: () => path.join(dir, 'stories.gguf'),
  };

  before(() => {
    dir = TestFixtures.tempDir();
    const source = loadModel(TestFixtures.storiesModel(), { tokenizerPath: TestFixtures.storiesTokenizer() });
    convertModel(source, formats.hf!(), { format: 'hf', dtype: 'f32' });
    convertModel(source, formats.gguf!(), { format: 'gguf', dtype: 'f32' });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const format of Object.keys(formats)) {
    test(`${format}: greedy ids and first-step top-5 logits`, async () => {
      const model = loadModel(formats[format]!(), { tokenizerPath: TestFixtures.storiesTokenizer() });
      assert.equal(model.source.format, format);
      const runner = ModelRunner.create(model, { numBlocks: 8 });
      try {
        for (const c of golden.cases) {
          const { out, logitsPerStep } = await greedy(runner, c.prompt_token_ids);
          assert.deepEqual(out, c.greedy_token_ids, `${format} "${c.prompt}": greedy ids`);
          c.first_steps_top5.forEach((top5, i) => {
            assertTop5(logitsPerStep[i]!, top5, `${format} "${c.prompt}" step ${i}`);
          });
        }
      } finally {
        runner.close();
      }
    });
  }
});
