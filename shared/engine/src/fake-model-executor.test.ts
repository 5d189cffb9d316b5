import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineStateError, InvalidModelInputError } from './errors.js';
import { FakeModelExecutor } from './fake-model-executor.js';
import type { ModelInput } from './model-executor.js';

const BS = 4;
/** One sequence's input: tokens at positions start.., block table `blocks`, logits for every row. */
function seqInput(tokens: number[], start: number, blocks: number[], slotBlocks = blocks): ModelInput {
  const n = tokens.length;
  const positions = Int32Array.from(tokens, (_, i) => start + i);
  return {
    tokenIds: Int32Array.from(tokens),
    positions,
    slotMapping: positions.map((p) => slotBlocks[Math.floor(p / BS)] * BS + (p % BS)),
    queryStart: Int32Array.of(0),
    queryLen: Int32Array.of(n),
    contextLen: Int32Array.of(start + n),
    blockTables: Int32Array.from(blocks),
    maxBlocksPerSeq: blocks.length,
    logitsRows: Int32Array.from(tokens, (_, i) => i),
  };
}
function expected(fake: FakeModelExecutor, history: number[]): Float32Array {
  let h = fake.initialHash;
  history.forEach((t, p) => {
    h = fake.extendHash(h, t, p);
  });
  return fake.logitsForHash(h);
}
const lastRow = (fake: FakeModelExecutor, logits: Float32Array) =>
  logits.slice(logits.length - fake.vocabSize);
const tokens = [5, 9, 2, 7, 1, 3];

test('logits are a function of the history reached through the block table', async () => {
  const fake = new FakeModelExecutor({ blockSize: BS, numBlocks: 8, vocabSize: 16 });
  const logits = await fake.execute(seqInput(tokens, 0, [6, 2]));
  for (let i = 0; i < tokens.length; i++) {
    assert.deepEqual(logits.slice(i * 16, (i + 1) * 16), expected(fake, tokens.slice(0, i + 1)));
  }
  // The same history in two chunks gives the same last row.
  const chunked = new FakeModelExecutor({ blockSize: BS, numBlocks: 8, vocabSize: 16 });
  await chunked.execute(seqInput(tokens.slice(0, 4), 0, [3]));
  const second = await chunked.execute(seqInput(tokens.slice(4), 4, [3, 5]));
  assert.deepEqual(lastRow(chunked, second), lastRow(fake, logits));
  assert.deepEqual(chunked.stats, { steps: 2, tokensComputed: 6, logitsRowsComputed: 6 });
});

test('a wrong block table, a skipped chunk or an overwritten block changes the output', async () => {
  const good = lastRow(
    new FakeModelExecutor({ blockSize: BS }),
    await new FakeModelExecutor({ blockSize: BS }).execute(seqInput(tokens, 0, [6, 2])),
  );
  // Wrong table: K/V written to blocks 6, 2 but read through 6, 4.
  const f1 = new FakeModelExecutor({ blockSize: BS });
  assert.notDeepEqual(lastRow(f1, await f1.execute(seqInput(tokens, 0, [6, 4], [6, 2]))), good);
  // Skipped chunk: the second chunk runs without the first ever being written.
  const f2 = new FakeModelExecutor({ blockSize: BS });
  assert.notDeepEqual(lastRow(f2, await f2.execute(seqInput(tokens.slice(4), 4, [6, 2]))), good);
  // Stale block: block 6 rewritten by another sequence before the second chunk.
  const f3 = new FakeModelExecutor({ blockSize: BS });
  await f3.execute(seqInput(tokens.slice(0, 4), 0, [6]));
  await f3.execute(seqInput([8, 8, 8, 8], 0, [6]));
  assert.notDeepEqual(lastRow(f3, await f3.execute(seqInput(tokens.slice(4), 4, [6, 2]))), good);
  // Same tokens at shifted positions (wrong positions) differ too.
  const f4 = new FakeModelExecutor({ blockSize: BS });
  await f4.execute(seqInput(tokens.slice(0, 4), 0, [6]));
  const shifted = seqInput(tokens.slice(4), 4, [6, 2]);
  shifted.positions[0] = 3;
  assert.notDeepEqual(lastRow(f4, await f4.execute(shifted)), good);
});

test('malformed input is rejected; concurrent steps are refused', async () => {
  const fake = new FakeModelExecutor({ blockSize: BS, numBlocks: 4 });
  const bad = seqInput(tokens, 0, [6, 2]);
  await assert.rejects(fake.execute(bad), InvalidModelInputError);
  const rows = seqInput(tokens, 0, [1, 2]);
  rows.logitsRows = Int32Array.of(3, 1);
  await assert.rejects(fake.execute(rows), InvalidModelInputError);
  const first = fake.execute(seqInput(tokens, 0, [1, 2]));
  assert.equal(fake.busy, true);
  await assert.rejects(fake.execute(seqInput(tokens, 0, [1, 2])), EngineStateError);
  await first;
  assert.equal(fake.busy, false);
});
