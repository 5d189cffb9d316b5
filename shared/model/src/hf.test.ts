import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadHfModel } from './hf-loader.js';
import { writeHfModel } from './hf-writer.js';
import { loadLlama2cModel } from './llama2c-loader.js';
import { ModelFormatError } from './model-format-error.js';
import { permuteRopeRows } from './rope-permute.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { TensorCodec } from './tensor-codec.js';
import { tensorEntries } from './tensor-entry.js';
import { TestFixtures } from './test-fixtures.js';

const tmp = TestFixtures.tempDir();
after(() => fs.rmSync(tmp, { recursive: true }));
const stories = loadLlama2cModel(TestFixtures.storiesModel(), TestFixtures.storiesTokenizer());
const golden = TestFixtures.golden();

function isProblem(problem: string) {
  return (e: unknown) => e instanceof ModelFormatError && e.problem === problem;
}

test('llama2.c -> HF directory loads back with the same config, permuted q/k and the same tokenizer', () => {
  const dir = path.join(tmp, 'stories-hf');
  writeHfModel(dir, stories);
  const back = loadHfModel(dir);
  assert.deepEqual(back.config, { ...stories.config, ropeStyle: 'neox' });
  assert.equal(back.tensors.size, stories.tensors.size);
  for (const [name, t] of stories.tensors) {
    const b = back.tensors.get(name)!;
    assert.deepEqual(b.shape, t.shape, name);
    const heads = name.includes('q_proj') ? 8 : 4;
    const want = /[qk]_proj/.test(name) ? permuteRopeRows(t, heads, 'neox').data : t.data;
    assert.deepEqual(Buffer.from(b.data), Buffer.from(want), name);
  }
  for (const c of golden.cases) {
    assert.deepEqual(back.tokenizer.encode(c.prompt), c.prompt_token_ids);
    assert.equal(
      back.tokenizer.decode(c.greedy_token_ids, { prevTokenId: c.prompt_token_ids.at(-1) }),
      stories.tokenizer.decode(c.greedy_token_ids, { prevTokenId: c.prompt_token_ids.at(-1) }),
    );
  }
});

test('q/k permutation pairs interleaved rows (2i, 2i+1) into halves (i, i+half)', () => {
  const rows = 8;
  const t = {
    dtype: 'f32' as const,
    shape: [rows, 1],
    data: new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer),
  };
  const neox = permuteRopeRows(t, 2, 'neox');
  assert.deepEqual([...TensorCodec.toF32(neox)], [0, 2, 1, 3, 4, 6, 5, 7]);
  assert.deepEqual([...TensorCodec.toF32(permuteRopeRows(neox, 2, 'interleaved'))], [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('bf16 and sharded HF directories load back', () => {
  const dir = path.join(tmp, 'stories-bf16');
  writeHfModel(dir, stories, { dtype: 'bf16', shardBytes: 100_000 });
  assert.ok(fs.existsSync(path.join(dir, 'model.safetensors.index.json')));
  assert.ok(fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')).length > 2);
  const back = loadHfModel(dir);
  const norm = back.tensors.get('model.norm.weight')!;
  assert.equal(norm.dtype, 'bf16');
  const want = TensorCodec.toF32(stories.tensors.get('model.norm.weight')!);
  for (const [i, v] of TensorCodec.toF32(norm).entries())
    assert.ok(Math.abs(v - want[i]) <= Math.abs(want[i]) / 128);
  assert.throws(
    () => writeHfModel(path.join(tmp, 'q8'), stories, { dtype: 'q8_0' }),
    isProblem('unsupported-dtype'),
  );
});

test('safetensors errors: truncated, header too large, unsupported dtype, shape mismatch', () => {
  const file = path.join(tmp, 'one.safetensors');
  writeSafetensors(file, tensorEntries(new Map([['a', stories.tensors.get('model.norm.weight')!]])));
  assert.deepEqual(readSafetensors(file).get('a')!.shape, [64]);
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.byteLength - 10));
  assert.throws(() => readSafetensors(file), isProblem('truncated'));
  const huge = Buffer.alloc(16);
  huge.writeBigUInt64LE(200_000_000n);
  fs.writeFileSync(file, huge);
  assert.throws(() => readSafetensors(file), isProblem('header-too-large'));
  const header = (h: object) => {
    const json = Buffer.from(JSON.stringify(h));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.byteLength));
    fs.writeFileSync(file, Buffer.concat([len, json, Buffer.alloc(64)]));
  };
  header({ a: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } });
  assert.throws(() => readSafetensors(file), isProblem('unsupported-dtype'));
  header({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } });
  assert.throws(() => readSafetensors(file), isProblem('shape-mismatch'));
});

test('HF directory errors: unknown architecture, missing tensor, shape mismatch', () => {
  const dir = path.join(tmp, 'broken');
  writeHfModel(dir, stories);
  const configFile = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  fs.writeFileSync(configFile, JSON.stringify({ ...config, architectures: ['GPT2LMHeadModel'] }));
  assert.throws(() => loadHfModel(dir), isProblem('unknown-architecture'));
  fs.writeFileSync(configFile, JSON.stringify({ ...config, tie_word_embeddings: false }));
  assert.throws(
    () => loadHfModel(dir),
    (e) => isProblem('missing-tensor')(e) && /lm_head/.test(String(e)),
  );
  fs.writeFileSync(configFile, JSON.stringify({ ...config, intermediate_size: 170 }));
  assert.throws(() => loadHfModel(dir), isProblem('shape-mismatch'));
});
